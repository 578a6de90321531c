/** Where a CLI verb writes. Tests pass a capturing implementation; `main` defaults to the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's stdout and stderr. `text` is written as is (callers add the newline). */
export const processIo: CliIo = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};
