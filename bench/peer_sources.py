"""The peers: tiny JSON GET servers on public npm packages, each in the style its docs show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeerSource:
    """One peer server: its npm install group, dependencies and ESM source."""

    name: str
    label: str
    group: str
    dependencies: dict[str, str]
    source: str


_LISTEN = "const port = Number(process.env.PORT);\nconst host = process.env.HOST ?? '127.0.0.1';\n"

NODE_HTTP = PeerSource(
    name="node-http",
    label="bare node:http",
    group="core",
    dependencies={},
    source=_LISTEN
    + """import http from 'node:http';

http
  .createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/') {
      const body = JSON.stringify({ hello: 'world' });
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    response.writeHead(404).end();
  })
  .listen(port, host);
""",
)

FASTIFY = PeerSource(
    name="fastify",
    label="bare Fastify 5",
    group="core",
    dependencies={"fastify": "^5.12.8"},
    source=_LISTEN
    + """import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port, host });
""",
)

FASTIFY_PINO = PeerSource(
    name="fastify-pino",
    label="Fastify 5 + pino logger (info)",
    group="core",
    dependencies={"fastify": "^5.12.8"},
    source=_LISTEN
    + """import Fastify from 'fastify';

const app = Fastify({ logger: { level: 'info' } });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port, host });
""",
)

EXPRESS = PeerSource(
    name="express",
    label="Express 5",
    group="core",
    dependencies={"express": "^5.3.0"},
    source=_LISTEN
    + """import express from 'express';

const app = express();
app.get('/', (request, response) => {
  response.json({ hello: 'world' });
});
app.listen(port, host);
""",
)

# The stack an Express service usually ships with; the rate limit is on, set out of the way.
EXPRESS_STACK = PeerSource(
    name="express-stack",
    label="Express 5 + helmet + pino-http + rate limit",
    group="core",
    dependencies={
        "express": "^5.3.0",
        "helmet": "^8.3.0",
        "pino-http": "^11.0.0",
        "express-rate-limit": "^8.7.4",
    },
    source=_LISTEN
    + """import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';

const app = express();
app.use(helmet());
app.use(pinoHttp());
app.use(rateLimit({ windowMs: 60_000, limit: 1_000_000_000 }));
app.get('/', (request, response) => {
  response.json({ hello: 'world' });
});
app.listen(port, host);
""",
)

# The Nest CLI starter (controller + module, Express platform, default logger), written in plain
# JavaScript: the decorators are applied as the functions they are, as compiled TypeScript does.
NESTJS = PeerSource(
    name="nestjs",
    label="NestJS starter (Express platform)",
    group="nestjs",
    dependencies={
        "@nestjs/common": "^12.5.1",
        "@nestjs/core": "^12.5.1",
        "@nestjs/platform-express": "^12.5.1",
        "reflect-metadata": "^0.2.2",
        "rxjs": "^7.8.2",
    },
    source=_LISTEN
    + """import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class AppController {
  getHello() {
    return { hello: 'world' };
  }
}
const method = Object.getOwnPropertyDescriptor(AppController.prototype, 'getHello');
Get()(AppController.prototype, 'getHello', method);
Controller()(AppController);

class AppModule {}
Module({ controllers: [AppController] })(AppModule);

const app = await NestFactory.create(AppModule);
await app.listen(port, host);
""",
)

ALL_PEERS: tuple[PeerSource, ...] = (
    NODE_HTTP,
    FASTIFY,
    FASTIFY_PINO,
    EXPRESS,
    EXPRESS_STACK,
    NESTJS,
)
