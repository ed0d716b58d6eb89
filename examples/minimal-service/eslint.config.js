// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import regexp from 'eslint-plugin-regexp';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

// Only src/config reads the environment, so every setting is validated once at boot.
const ENV_MESSAGE = 'Read configuration through src/config so it is validated once at boot.';
const processEnvImports = ['node:process', 'process'].map((name) => ({
  name,
  importNames: ['env'],
  message: ENV_MESSAGE,
}));

/**
 * Layers import downwards only: routes → controllers → services → repositories. Each entry
 * lists the folders a layer must not import, and the packages it must not use directly.
 * jobs/ (what the worker runs) and cpu/ (what worker threads run) sit beside services: both
 * receive their ports from the composition root and never reach HTTP or infrastructure.
 * features/ (one module per optional capability) wires infrastructure to services for the
 * composition root: it may use every layer but the HTTP edge, and nothing else imports it.
 */
const infrastructurePackages = [
  'fastify',
  'fastify-*',
  '@fastify/*',
  'pino',
  'prom-client',
  '@opentelemetry/*',
  'jose',
];

const layers = {
  routes: { folders: ['services', 'repositories', 'jobs', 'cpu', 'features'], packages: [] },
  controllers: {
    folders: ['routes', 'repositories', 'infra', 'jobs', 'cpu', 'features'],
    packages: ['fastify', '@fastify/*'],
  },
  services: {
    folders: ['routes', 'controllers', 'infra', 'config', 'jobs', 'features'],
    packages: infrastructurePackages,
  },
  jobs: {
    folders: [
      'routes',
      'controllers',
      'services',
      'repositories',
      'infra',
      'config',
      'cpu',
      'features',
    ],
    packages: infrastructurePackages,
  },
  cpu: {
    folders: ['routes', 'controllers', 'services', 'infra', 'config', 'jobs', 'features'],
    packages: infrastructurePackages,
  },
  repositories: {
    folders: ['routes', 'controllers', 'services', 'cpu', 'features'],
    packages: ['fastify', '@fastify/*'],
  },
  infra: {
    folders: ['routes', 'controllers', 'services', 'repositories', 'cpu', 'features'],
    packages: [],
  },
  errors: {
    folders: [
      'routes',
      'controllers',
      'services',
      'repositories',
      'jobs',
      'cpu',
      'infra',
      'features',
    ],
    packages: [],
  },
  utils: {
    folders: [
      'routes',
      'controllers',
      'services',
      'repositories',
      'jobs',
      'cpu',
      'infra',
      'errors',
      'config',
      'features',
    ],
    packages: infrastructurePackages,
  },
  config: {
    folders: [
      'routes',
      'controllers',
      'services',
      'repositories',
      'jobs',
      'cpu',
      'infra',
      'errors',
      'utils',
      'features',
    ],
    packages: infrastructurePackages,
  },
  features: {
    folders: ['routes', 'controllers'],
    packages: ['fastify', 'fastify-*', '@fastify/*'],
  },
};

const layerConfigs = Object.entries(layers).map(([layer, { folders, packages }]) => ({
  name: `layers/${layer}`,
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: layer === 'config' ? [] : processEnvImports,
        patterns: [
          {
            regex: `^\\.\\.?/(?:.*/)?(?:${folders.join('|')})/`,
            message: `${layer}/ must not depend on ${folders.join(', ')}/ (imports point down the layers).`,
          },
          ...(packages.length > 0
            ? [
                {
                  group: packages,
                  message: `${layer}/ must not use infrastructure packages directly; receive a port instead.`,
                },
              ]
            : []),
        ],
      },
    ],
  },
}));

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  regexp.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    name: 'config-owns-environment',
    files: ['**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: ENV_MESSAGE,
        },
      ],
      'no-restricted-imports': ['error', { paths: processEnvImports }],
    },
  },
  {
    name: 'sorted-imports',
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  ...layerConfigs,
  {
    name: 'javascript-files',
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
