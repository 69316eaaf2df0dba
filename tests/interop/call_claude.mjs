// Calls the Claude Messages API with Anthropic's own SDK (@anthropic-ai/sdk), configured
// only by the environment a workload would set from `signet token`: ANTHROPIC_AUTH_TOKEN
// (the federated bearer token). The Messages API is a local stand-in started here, which
// answers as the API documents only when the request carries `Authorization: Bearer
// $EXPECTED_TOKEN`, and 401 (authentication_error) otherwise.
// Usage: EXPECTED_TOKEN=... ANTHROPIC_AUTH_TOKEN=... node call_claude.mjs
// Prints the assistant's text and exits 0, or prints the error and exits 1.
import http from 'node:http';
import Anthropic from '@anthropic-ai/sdk';

const expected = process.env.EXPECTED_TOKEN;
const seen = [];
const messagesApi = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization,
                apiKey: req.headers['x-api-key'], version: req.headers['anthropic-version'] });
    res.setHeader('content-type', 'application/json');
    res.setHeader('request-id', 'req_standin_1');
    if (req.method !== 'POST' || req.url !== '/v1/messages' ||
        req.headers.authorization !== `Bearer ${expected}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ type: 'error',
                               error: { type: 'authentication_error', message: 'invalid bearer token' } }));
      return;
    }
    const request = JSON.parse(body);
    res.end(JSON.stringify({
      id: 'msg_standin_01', type: 'message', role: 'assistant', model: request.model,
      content: [{ type: 'text', text: 'hello from the Messages stand-in' }],
      stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 6 },
    }));
  });
});
await new Promise((resolve) => messagesApi.listen(0, '127.0.0.1', resolve));

try {
  if (!expected || !process.env.ANTHROPIC_AUTH_TOKEN) {
    throw new Error('EXPECTED_TOKEN and ANTHROPIC_AUTH_TOKEN must be set');
  }
  // Only the base URL is given in code: the credential comes from the environment.
  const client = new Anthropic({
    baseURL: `http://127.0.0.1:${messagesApi.address().port}`, maxRetries: 0 });
  const message = await client.messages.create({
    model: 'claude-sonnet-5-5', max_tokens: 32,
    messages: [{ role: 'user', content: 'Say hello.' }],
  });
  if (seen.length !== 1 || seen[0].apiKey !== undefined || !seen[0].version) {
    throw new Error(`unexpected requests at the stand-in: ${JSON.stringify(seen)}`);
  }
  console.log(message.content[0].text);
} catch (error) {
  console.error(`${error.status ?? 'error'}: ${error.message}`);
  process.exitCode = 1;
} finally {
  messagesApi.close();
}
