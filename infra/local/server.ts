/** One local server: installed on first use, started detached, probed until it answers. */
export interface LocalServer {
  readonly name: string;
  /** Name of its pid and log files (see server-set.ts). */
  readonly processName: string;
  /** What `infra:status` prints for it, e.g. its address. */
  readonly address: string;
  /** Idempotent and quick once installed. */
  install(): Promise<void>;
  start(): Promise<void>;
  /** True once the server answers requests, not merely once its port is open. */
  probe(): Promise<boolean>;
  stop(): Promise<boolean>;
  /** Idempotent set-up once it answers (users, ACLs), run by `up` whether it started it or found it up. */
  configure?(): Promise<void>;
  /**
   * Run by `up` after `configure`, only when it started the server: brings a cold server up to speed.
   * Lines given to `report` are printed after the server's name.
   */
  warmUp?(report: (line: string) => void): Promise<void>;
  /** Seconds to wait for `probe` after `start`. */
  readonly startTimeoutSec: number;
}
