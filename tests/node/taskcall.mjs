// The TypeScript MCP SDK's experimental tasks client against a server spawned over stdio, or one
// listening for streamable HTTP (`-- http://host:port/mcp`).
// Each line on stdout is one JSON object for the Python test to read.
//
//   node taskcall.mjs call TOOL JSON -- CMD ARGS...   tools/list, then a task-augmented call
//                                                     (callToolStream): every message it yields
//   node taskcall.mjs start TOOL JSON -- CMD ARGS...  the same, stopping once the task exists
//   node taskcall.mjs get TASK_ID -- CMD ARGS...      tasks/get until terminal, then tasks/result
//   node taskcall.mjs plain TOOL JSON -- CMD ARGS...  an ordinary tools/call
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const failure = (e) => ({ code: e?.code, message: String(e?.message ?? e) });
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const [mode, target, json] = argv.slice(0, split);
const [command, ...args] = argv.slice(split + 1);
const transport = command.startsWith('http')
  ? new StreamableHTTPClientTransport(new URL(command))
  : new StdioClientTransport({ command, args, env: process.env, stderr: 'ignore' });
const client = new Client({ name: 'taskcall', version: '1.0.0' }, { capabilities: {} });
const options = { timeout: 60000 };

async function call(stopWhenCreated) {
  const { tools } = await client.listTools(undefined, options);  // caches taskSupport and output schemas
  out({ type: 'tools', tools: tools.map((t) => ({ name: t.name, execution: t.execution ?? null })) });
  const stream = client.experimental.tasks.callToolStream({ name: target, arguments: JSON.parse(json) }, CallToolResultSchema, options);
  for await (const message of stream) {
    out(message.type === 'error' ? { type: 'error', error: failure(message.error) } : message);
    if (stopWhenCreated && message.type === 'taskCreated') return;
  }
}

async function get() {
  let task = await client.experimental.tasks.getTask(target, options);
  out({ type: 'taskStatus', task });
  while (!TERMINAL.has(task.status)) {
    await new Promise((resolve) => setTimeout(resolve, task.pollInterval ?? 1000));
    task = await client.experimental.tasks.getTask(target, options);
    out({ type: 'taskStatus', task });
  }
  out({ type: 'result', result: await client.experimental.tasks.getTaskResult(target, CallToolResultSchema, options) });
}

let code = 0;
try {
  await client.connect(transport, options);
  out({ type: 'connected', capabilities: client.getServerCapabilities() });
  if (mode === 'call' || mode === 'start') await call(mode === 'start');
  else if (mode === 'get') await get();
  else if (mode === 'plain') out({ type: 'result', result: await client.callTool({ name: target, arguments: JSON.parse(json) }, undefined, options) });
  else throw new Error(`unknown mode ${mode}`);
} catch (e) {
  out({ type: 'error', error: failure(e) });
  code = 1;
}
await client.close().catch(() => {});
process.exit(code);
