import type { Kafka } from '@pipeline/shared';
import { colourFor } from '../processes/log-lines.js';
import { type ServiceProcess, startServiceProcess } from '../processes/service-process.js';
import { waitForGroups } from './resources.js';
import type { ProcessSpec } from './services.js';

export interface RunningPipeline {
  services: ServiceProcess[];
  /** Stops every service (SIGTERM to all at once) and reports how each ended. */
  stop(): Promise<{ name: string; clean: boolean; code: number | null; signal: NodeJS.Signals | null }[]>;
}

/**
 * Starts the pipeline's services as processes for a run and returns once each is ready and each of
 * their consumer groups owns its partitions. A service that fails to start stops the others.
 */
export async function startPipeline(options: {
  specs: ProcessSpec[];
  kafka: Kafka;
  write: (line: string) => void;
  colour: boolean;
  /** Extra Node options for each service process, by name (e.g. where its CPU profile goes). */
  nodeArgs?: (name: string) => string[];
}): Promise<RunningPipeline> {
  const width = Math.max(...options.specs.map((s) => s.name.length));
  const started = await Promise.allSettled(
    options.specs.map((spec, i) =>
      startServiceProcess({
        name: spec.name,
        entry: spec.entry,
        env: spec.env,
        write: options.write,
        colour: options.colour ? colourFor(i) : null,
        prefixWidth: width,
        nodeArgs: options.nodeArgs?.(spec.name) ?? [],
      }),
    ),
  );
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = () => Promise.all(services.map(async (s) => ({ name: s.name, ...(await s.stop()) })));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    await waitForGroups(
      options.kafka,
      options.specs.flatMap((s) => s.groups),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { services, stop };
}
