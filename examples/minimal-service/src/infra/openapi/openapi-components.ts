const SCHEMA_REF = '#/components/schemas/';
// fastify-type-provider-zod's name for the request (input) form of a registered schema.
const INPUT_SUFFIX = 'Input';

interface Components {
  readonly schemas?: Readonly<Record<string, unknown>>;
}

/** The names of the component schemas `value` refers to, anywhere inside it. */
function schemaRefs(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) schemaRefs(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF)) {
        found.add(child.slice(SCHEMA_REF.length));
      } else {
        schemaRefs(child, found);
      }
    }
  }
  return found;
}

function renameRefs<Value>(value: Value, rename: (name: string) => string): Value {
  return JSON.parse(JSON.stringify(value), (key, child: unknown) =>
    key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF)
      ? SCHEMA_REF + rename(child.slice(SCHEMA_REF.length))
      : child,
  ) as Value;
}

function outputName(name: string): string {
  return name.endsWith(INPUT_SUFFIX) ? name.slice(0, -INPUT_SUFFIX.length) : name;
}

/**
 * fastify-type-provider-zod emits every schema of the zod registry twice, whether an operation
 * uses it or not: `Order` as responses read it and `OrderInput` as requests write it. This keeps
 * the schemas the operations refer to, and gives a request schema its own name (`NewOrder`) when
 * no response uses that schema or both forms are the same, so each schema is one component and
 * every component is referenced. Only a schema whose request and response forms really differ
 * (a default, a transform) keeps both.
 */
export function referencedSchemasOnly<Document extends object>(document: Document): Document {
  const { components = {} } = document as { readonly components?: Components };
  const { schemas = {}, ...otherComponents } = components;
  const used = new Set<string>();
  const pending = [...schemaRefs({ ...document, components: otherComponents })];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...schemaRefs(schemas[name]));
  }

  const shape = (name: string) => JSON.stringify(renameRefs(schemas[name], outputName));
  const merged = new Set(
    [...used].filter(
      (name) =>
        name !== outputName(name) &&
        Object.hasOwn(schemas, outputName(name)) &&
        (!used.has(outputName(name)) || shape(name) === shape(outputName(name))),
    ),
  );
  // Two forms that look alike are still different when one refers to a request form kept apart.
  let changed: boolean;
  do {
    changed = false;
    for (const name of merged) {
      const refersToDistinctInput = [...schemaRefs(schemas[name])].some(
        (ref) => ref !== outputName(ref) && !merged.has(ref),
      );
      if (used.has(outputName(name)) && refersToDistinctInput) {
        merged.delete(name);
        changed = true;
      }
    }
  } while (changed);

  const rename = (name: string) => (merged.has(name) ? outputName(name) : name);
  const kept = Object.fromEntries(
    Object.keys(schemas)
      .filter((name) => used.has(name) && !(merged.has(name) && used.has(outputName(name))))
      .map((name) => [rename(name), schemas[name]]),
  );
  return renameRefs({ ...document, components: { ...otherComponents, schemas: kept } }, rename);
}
