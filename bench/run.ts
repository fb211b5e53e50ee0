// `npm run bench`: every benchmark of forkscope, one after another.

await import('./overhead.js');
