import { describe, expect, it } from 'vitest';

import { referencedSchemasOnly } from '../../src/infra/openapi/openapi-components.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

// The two forms fastify-type-provider-zod emits for every registered schema.
const item = { type: 'object', properties: { sku: { type: 'string' } } };
const closedItem = { ...item, additionalProperties: false };

function documentUsing<Operation extends object>(
  operation: Operation,
  schemas: Record<string, unknown>,
) {
  return {
    openapi: '3.1.0',
    paths: { '/items': { post: operation } },
    components: { securitySchemes: { bearerAuth: { type: 'http' } }, schemas },
  };
}

function requestAndResponse(request: string, response: string) {
  return {
    requestBody: { content: { 'application/json': { schema: ref(request) } } },
    responses: { 201: { content: { 'application/json': { schema: ref(response) } } } },
  };
}

describe('referencedSchemasOnly', () => {
  it('when a schema is referenced by no operation, then neither of its forms is kept', () => {
    const document = documentUsing(requestAndResponse('ItemInput', 'Item'), {
      ItemInput: item,
      Item: item,
      UnusedInput: item,
      Unused: item,
    });

    expect(Object.keys(referencedSchemasOnly(document).components.schemas)).toEqual(['Item']);
  });

  it('when only requests use a schema, then its request form takes the schema name', () => {
    const document = documentUsing(requestAndResponse('NewItemInput', 'Item'), {
      NewItemInput: closedItem,
      ItemInput: item,
      NewItem: closedItem,
      Item: closedItem,
    });

    const result = referencedSchemasOnly(document);

    expect(result.components.schemas).toEqual({ NewItem: closedItem, Item: closedItem });
    expect(result.paths['/items'].post.requestBody.content['application/json'].schema).toEqual(
      ref('NewItem'),
    );
  });

  it('when a request and a response use the same schema in the same form, then it is one component', () => {
    const document = documentUsing(requestAndResponse('ItemInput', 'Item'), {
      ItemInput: closedItem,
      Item: closedItem,
    });

    const result = referencedSchemasOnly(document);

    expect(result.components.schemas).toEqual({ Item: closedItem });
    expect(result.paths['/items'].post.requestBody.content['application/json'].schema).toEqual(
      ref('Item'),
    );
  });

  it('when the request form differs from the response form, then both are kept', () => {
    const document = documentUsing(requestAndResponse('ItemInput', 'Item'), {
      ItemInput: item,
      Item: closedItem,
    });

    expect(referencedSchemasOnly(document).components.schemas).toEqual({
      ItemInput: item,
      Item: closedItem,
    });
  });

  it('when two forms differ only in a nested schema whose forms differ, then both are kept', () => {
    const page = (entry: string) => ({ type: 'array', items: ref(entry) });
    const document = documentUsing(requestAndResponse('PageInput', 'Page'), {
      PageInput: page('ItemInput'),
      Page: page('Item'),
      ItemInput: item,
      Item: closedItem,
    });

    expect(Object.keys(referencedSchemasOnly(document).components.schemas).sort()).toEqual([
      'Item',
      'ItemInput',
      'Page',
      'PageInput',
    ]);
  });

  it('when the document has other components, then they are left as they are', () => {
    const document = documentUsing(requestAndResponse('ItemInput', 'Item'), {
      ItemInput: item,
      Item: item,
    });

    expect(referencedSchemasOnly(document).components.securitySchemes).toEqual({
      bearerAuth: { type: 'http' },
    });
  });
});
