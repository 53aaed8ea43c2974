import type { ServerEnv } from '@pipeline/infra/env';
import type { Kafka } from '@pipeline/shared';
import { colourFor } from '../processes/log-lines.js';
import { type ServiceProcess, startServiceProcess } from '../processes/service-process.js';
import type { RunNamespace } from './namespace.js';
import { waitForGroups } from './resources.js';
import { SERVICE_NAMES, type ServiceName, serviceEntry, serviceEnv, serviceGroups } from './services.js';

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
  ns: RunNamespace;
  servers: ServerEnv;
  kafka: Kafka;
  write: (line: string) => void;
  colour: boolean;
  services?: readonly ServiceName[];
  /** Extra variables per service (tuning). */
  tuning?: Partial<Record<ServiceName, Record<string, string>>>;
}): Promise<RunningPipeline> {
  const names = options.services ?? SERVICE_NAMES;
  const width = Math.max(...names.map((n) => n.length));
  const started = await Promise.allSettled(
    names.map((name, i) =>
      startServiceProcess({
        name,
        entry: serviceEntry(name),
        env: serviceEnv(name, options.ns, options.servers, options.tuning?.[name]),
        write: options.write,
        colour: options.colour ? colourFor(i) : null,
        prefixWidth: width,
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
      names.flatMap((n) => serviceGroups(n, options.ns)),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { services, stop };
}
