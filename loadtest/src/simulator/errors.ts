/**
 * A simulator configuration that cannot be run. `fields` names every offending field as a dotted
 * path (`compromisedCard.share`); the message lists each problem with the value given. Never
 * retriable: the same configuration fails the same way.
 */
export class SimulatorConfigError extends Error {
  readonly retriable = false;

  constructor(
    readonly fields: string[],
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorConfigError';
  }
}
