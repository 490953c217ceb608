/**
 * The multiproc logger, after Python's `multiprocessing.get_logger()` / `log_to_stderr()`:
 * lifecycle events ('child process calling self.run()', 'process exiting with exitcode 0',
 * 'calling terminate() for daemon Process-2', ...) go to it, and nothing is printed until a
 * handler is added. `logToStderr()` prints them as `[INFO/Process-1] message`; the setting
 * is inherited by workers started afterwards, as under Python's spawn.
 */

/** Python's logging levels, plus multiprocessing's SUBDEBUG (5) and SUBWARNING (25). */
export const LogLevel = {
  NOTSET: 0,
  SUBDEBUG: 5,
  DEBUG: 10,
  INFO: 20,
  SUBWARNING: 25,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;
export type LogLevelName = keyof typeof LogLevel;

/** One log event, as handlers receive it. */
export interface LogRecord {
  level: number;
  levelName: string;
  message: string;
  /** Name of the process (worker) that logged it: 'MainProcess', 'Process-1', ... */
  processName: string;
  time: Date;
}

export type LogHandler = (record: LogRecord) => void;

function levelName(level: number): string {
  for (const [name, value] of Object.entries(LogLevel)) if (value === level) return name;
  return `Level ${level}`;
}

function toLevel(level: number | LogLevelName | Lowercase<LogLevelName>): number {
  if (typeof level === 'number' && Number.isFinite(level)) return level;
  const value = LogLevel[String(level).toUpperCase() as LogLevelName];
  if (value === undefined) {
    throw new RangeError(
      `unknown log level ${JSON.stringify(level)}: use a number or one of ${Object.keys(LogLevel).join(', ')}`,
    );
  }
  return value;
}

/** The logger of this worker. Its effective level is WARNING until set (Python's root default). */
export class Logger {
  readonly name = 'multiprocessing';
  #level: number = LogLevel.NOTSET;
  #handlers = new Set<LogHandler>();
  /** @internal How the current process is named in records. */
  processName: () => string = () => 'MainProcess';

  /** The level set (0 = NOTSET: WARNING applies). */
  get level(): number {
    return this.#level;
  }

  /** Sets the level: a number or a name ('DEBUG', 'info', ...). */
  setLevel(level: number | LogLevelName | Lowercase<LogLevelName>): this {
    this.#level = toLevel(level);
    return this;
  }

  /** The level that applies: the one set, else WARNING. */
  getEffectiveLevel(): number {
    return this.#level || LogLevel.WARNING;
  }

  isEnabledFor(level: number): boolean {
    return level >= this.getEffectiveLevel();
  }

  addHandler(handler: LogHandler): this {
    this.#handlers.add(handler);
    return this;
  }

  removeHandler(handler: LogHandler): this {
    this.#handlers.delete(handler);
    return this;
  }

  get handlers(): LogHandler[] {
    return [...this.#handlers];
  }

  log(level: number | LogLevelName, message: string): void {
    const lvl = toLevel(level);
    if (this.#handlers.size === 0 || !this.isEnabledFor(lvl)) return;
    const record: LogRecord = {
      level: lvl,
      levelName: levelName(lvl),
      message,
      processName: this.processName(),
      time: new Date(),
    };
    for (const handler of this.#handlers) handler(record);
  }

  subDebug(message: string): void {
    this.log(LogLevel.SUBDEBUG, message);
  }
  debug(message: string): void {
    this.log(LogLevel.DEBUG, message);
  }
  info(message: string): void {
    this.log(LogLevel.INFO, message);
  }
  subWarning(message: string): void {
    this.log(LogLevel.SUBWARNING, message);
  }
  warning(message: string): void {
    this.log(LogLevel.WARNING, message);
  }
  error(message: string): void {
    this.log(LogLevel.ERROR, message);
  }
  critical(message: string): void {
    this.log(LogLevel.CRITICAL, message);
  }
}

const logger = new Logger();
/** The handler `logToStderr` installs (kept so that it is installed once). */
let stderrHandler: LogHandler | undefined;

/**
 * The multiproc logger of this worker (Python's `multiprocessing.get_logger()`).
 *
 * @example
 * mp.getLogger().setLevel('INFO').addHandler((r) => myLog(r.processName, r.message));
 */
export function getLogger(): Logger {
  return logger;
}

/**
 * Prints the logger's events to stderr as `[LEVEL/ProcessName] message`, optionally setting
 * its level; workers started afterwards do the same. Returns the logger.
 *
 * @example
 * mp.logToStderr('INFO');
 * // [INFO/Process-1] child process calling self.run()
 * // [INFO/Process-1] process exiting with exitcode 0
 */
export function logToStderr(level?: number | LogLevelName | Lowercase<LogLevelName>): Logger {
  if (!stderrHandler) {
    stderrHandler = (r) => process.stderr.write(`[${r.levelName}/${r.processName}] ${r.message}\n`);
    logger.addHandler(stderrHandler);
  }
  if (level !== undefined) logger.setLevel(level);
  return logger;
}

/** @internal What a child needs to log like its parent. */
export interface LogConfig {
  level: number;
  stderr: boolean;
}

/** @internal */
export function logConfig(): LogConfig {
  return {
    level: logger.level,
    stderr: stderrHandler !== undefined && logger.handlers.includes(stderrHandler),
  };
}

/** @internal Applies the parent's logging setup in a child. */
export function applyLogConfig(config: LogConfig): void {
  if (config.stderr) logToStderr();
  if (config.level) logger.setLevel(config.level);
}
