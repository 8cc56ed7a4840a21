// The few mocha (tdd ui) globals the extension-host suites use; mocha itself comes from the e2e harness.
declare function suite(title: string, fn: (this: { timeout(ms: number): void }) => void): void;
declare function suiteSetup(fn: () => unknown | Promise<unknown>): void;
declare function suiteTeardown(fn: () => unknown | Promise<unknown>): void;
declare function setup(fn: () => unknown | Promise<unknown>): void;
declare function teardown(fn: () => unknown | Promise<unknown>): void;
declare function test(
  title: string,
  fn: (this: { timeout(ms: number): void; skip(): void }) => unknown | Promise<unknown>,
): void;
