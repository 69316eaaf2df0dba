// Official SDKs, unmodified and holding no credential, reaching their APIs through
// signet-agent (tests/interop/agent_sdk_test.cc starts signetd and the agent).
//
//   node agent_sdks.mjs anthropic   @anthropic-ai/sdk with a dummy key and its base URL
//                                   at the agent's proxy sends a message and a streamed
//                                   message to a local HTTPS stand-in of the Messages API
//                                   (MESSAGES_PORT, TLS_CERT, TLS_KEY), which accepts only
//                                   `Authorization: Bearer $EXPECTED_TOKEN` and refuses the
//                                   dummy key. Each streamed event is sent only once the
//                                   client has received the one before, so a proxy that
//                                   buffered the response would hang this test.
//   node agent_sdks.mjs aws         @aws-sdk/credential-providers' default Node chain,
//                                   configured only by AWS_CONTAINER_CREDENTIALS_FULL_URI
//                                   and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
//
// Prints one JSON line describing what happened and exits 0, or prints the error and
// exits 1.
import https from 'node:https';
import fs from 'node:fs';

const mode = process.argv[2];

async function anthropic() {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const expected = `Bearer ${process.env.EXPECTED_TOKEN}`;
  const seen = [];
  let releaseNext = null;  // set by the client when it has read an event
  const waitForClient = () => new Promise((resolve) => { releaseNext = resolve; });
  const events = [
    ['message_start', { type: 'message_start', message: { id: 'msg_standin_02', type: 'message',
      role: 'assistant', model: 'claude-sonnet-5-5', content: [], stop_reason: null,
      stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0,
      content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0,
      delta: { type: 'text_delta', text: 'streamed ' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0,
      delta: { type: 'text_delta', text: 'through signet' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn',
      stop_sequence: null }, usage: { output_tokens: 4 } }],
    ['message_stop', { type: 'message_stop' }],
  ];

  const api = https.createServer({
    cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY),
  }, (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', async () => {
      seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization,
                  apiKey: req.headers['x-api-key'] ?? null,
                  version: req.headers['anthropic-version'] ?? null });
      res.setHeader('request-id', 'req_standin');
      if (req.headers.authorization !== expected || req.headers['x-api-key'] !== undefined) {
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error',
                                                         message: 'invalid credential' } }));
        return;
      }
      const request = JSON.parse(body);
      if (!request.stream) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          id: 'msg_standin_01', type: 'message', role: 'assistant', model: request.model,
          content: [{ type: 'text', text: 'hello through signet' }],
          stop_reason: 'end_turn', stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 4 },
        }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const [name, data] of events) {
        const read = waitForClient();
        res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        if (name !== 'message_stop') {
          await read;  // the next event only once this one reached the client
        }
      }
      res.end();
    });
  });
  await new Promise((resolve) => api.listen(Number(process.env.MESSAGES_PORT), '127.0.0.1', resolve));
  try {
    const client = new Anthropic({ baseURL: `${process.env.AGENT_URL}/claude`,
                                   apiKey: 'sk-ant-dummy-key', maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-sonnet-5-5', max_tokens: 32,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-5-5', max_tokens: 32, stream: true,
      messages: [{ role: 'user', content: 'Say hello, slowly.' }],
    });
    const received = [];
    for await (const event of stream) {
      received.push(event.type);
      if (releaseNext) {
        const release = releaseNext;
        releaseNext = null;
        release();
      }
    }
    console.log(JSON.stringify({ text: message.content[0].text, events: received, seen }));
  } finally {
    api.close();
  }
}

async function aws() {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const credentials = await fromNodeProviderChain()();
  console.log(JSON.stringify({
    accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken, expiration: credentials.expiration?.toISOString(),
  }));
}

try {
  if (mode === 'anthropic') {
    await anthropic();
  } else if (mode === 'aws') {
    await aws();
  } else {
    throw new Error('usage: node agent_sdks.mjs anthropic|aws');
  }
} catch (error) {
  console.error(`${error.status ?? 'error'}: ${error.message}`);
  process.exitCode = 1;
}
