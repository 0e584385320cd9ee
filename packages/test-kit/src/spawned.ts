// Child processes a test starts: tracked so none outlives its test worker, and waited on by their output.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Every process a test starts is killed when the test worker exits, even if the test timed out before its
 * `await using` could dispose of it: a failed test must not leave servers behind.
 */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
export const track = (child: ChildProcess): ChildProcess => {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
};

export const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** Resolves once the child writes a stdout line containing `text`. */
export const waitForLine = (child: ChildProcess, text: string, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
