// How a forkscope process ends, in one place. Cleanups (temporary directories, the terminal, a
// tracer to detach, a traced tree to kill) run however the process ends: they are 'exit'
// listeners, and a signal (SIGINT, SIGTERM, SIGHUP) ends the process through process.exit, which
// runs them (the signal's default action would not, nor would a `finally`). One owner per process
// decides what a signal does: by default it ends the process (exit code 128 + N); a command that
// stops gracefully (record) owns the signals instead, and whoever else shows something (the TUI)
// only observes them.

import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

type SignalListener = (signal: StopSignal) => void;

const cleanups = new Set<() => void>();
const observers = new Set<SignalListener>();
let owner: SignalListener | null = null;
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const signal of STOP_SIGNALS) process.on(signal, deliver);
}

function runCleanups(): void {
  // The last registered first, as nested `finally`s would.
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`forkscope: cleaning up failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

function deliver(signal: StopSignal): void {
  for (const observer of [...observers]) observer(signal);
  if (owner) owner(signal);
  else exitOnSignal(signal);
}

/** Ends the process as `signal` asked, after every cleanup: exit code 128 + its number. */
export function exitOnSignal(signal: StopSignal): never {
  process.exit(128 + constants.signals[signal]);
}

/**
 * Runs `cleanup` (synchronous: the process is ending) when the process ends, whatever ends it.
 * Returns the function that runs it now instead, once.
 */
export function atExit(cleanup: () => void): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    if (cleanups.delete(cleanup)) cleanup();
  };
}

/**
 * A command that stops gracefully takes the signals: they go to `handler` instead of ending the
 * process (the handler calls exitOnSignal to end it at once). Returns the function that gives
 * them back.
 */
export function ownSignals(handler: SignalListener): () => void {
  if (owner) throw new Error('the signals already have an owner');
  install();
  owner = handler;
  return () => {
    if (owner === handler) owner = null;
  };
}

/** Whether a command owns the signals (then a signal does not end the process by itself). */
export function signalsOwned(): boolean {
  return owner !== null;
}

/** Tells `listener` of every signal before its owner acts on it. Returns the function that stops it. */
export function observeSignals(listener: SignalListener): () => void {
  install();
  observers.add(listener);
  return () => observers.delete(listener);
}
