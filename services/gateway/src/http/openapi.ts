// The server API described as OpenAPI 3.1, generated from the same zod schemas that validate its requests.
import { z } from 'zod';
import { api } from '@chorus/protocol';

const schema = (type: z.ZodType) => z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' });
const json = (type: z.ZodType) => ({ 'application/json': { schema: schema(type) } });
const errors = {
  '400': { description: 'invalid request: `error` names the code, `message` the field', content: json(api.apiError) },
  '401': { description: 'missing or wrong admin token', content: json(api.apiError) },
};
const post = (summary: string, request: z.ZodType, response: z.ZodType) => ({
  post: {
    summary,
    requestBody: { required: true, content: json(request) },
    responses: { '200': { description: 'done', content: json(response) }, ...errors },
  },
});
const roomParameter = { name: 'room', in: 'path', required: true, schema: { type: 'string' } };
const queryParameters = (type: z.ZodObject) =>
  Object.entries(type.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: schema(field as z.ZodType),
  }));
const get = (summary: string, parameters: object[], response: z.ZodType | object) => ({
  get: {
    summary,
    parameters,
    responses: {
      '200': {
        description: 'ok',
        content: { 'application/json': { schema: response instanceof z.ZodType ? schema(response) : response } },
      },
      ...errors,
      '404': { description: 'no such route', content: json(api.apiError) },
    },
  },
});

const document = {
  openapi: '3.1.0',
  info: {
    title: 'chorus server API',
    version: '1.1.0',
    description: 'Every route but this document takes `Authorization: Bearer <ADMIN_TOKEN>` (PROTOCOL.md §10.5).',
  },
  components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer' } } },
  security: [{ admin: [] }],
  paths: {
    '/api/publish': post('Publish a room message (idempotent with `key`)', api.publishRequest, api.publishResponse),
    '/api/dm': post('Send a direct message as `from` (default `server`)', api.dmRequest, api.dmResponse),
    '/api/signal': post('Send a signal to a user or a room; never stored', api.signalRequest, api.signalResponse),
    '/api/disconnect': post(
      'Close every connection of a user with 4003',
      api.disconnectRequest,
      api.disconnectResponse,
    ),
    '/api/ban': post('Close with 4004 and refuse the user upgrades until it expires', api.banRequest, api.banResponse),
    '/api/ban/{user}': {
      delete: {
        summary: 'Lift a ban',
        parameters: [{ name: 'user', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'lifted' },
          ...errors,
          '404': { description: 'the user is not banned', content: json(api.apiError) },
        },
      },
    },
    '/api/users/{user}': get(
      'Whether a user is connected (on how many nodes) and until when it is banned',
      [{ name: 'user', in: 'path', required: true, schema: { type: 'string' } }],
      api.userInfoResponse,
    ),
    '/api/rooms': get(
      'The rooms with the most members, cluster-wide',
      queryParameters(api.roomsQuery),
      api.roomsResponse,
    ),
    '/api/rooms/{room}/presence': get(
      'Users in the room (paged), as the `presence` frame',
      [roomParameter, ...queryParameters(api.presenceQuery)],
      { type: 'object' },
    ),
    '/api/rooms/{room}/occupancy': get('Users and connections in the room', [roomParameter], api.occupancyResponse),
    '/api/rooms/{room}/history': get(
      'Stored messages, as the `history` frame',
      [roomParameter, ...queryParameters(api.historyQuery)],
      { type: 'object' },
    ),
  },
};

export const openApiDocument = JSON.stringify(document);
