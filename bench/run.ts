// `npm run bench`: every benchmark of forkscope, one after another.

await import('./startup.js');
await import('./speed.js');
await import('./parse.js');
await import('./tui.js');
await import('./overhead.js');
await import('./scale.js');
await import('./ff.js');
