"""The names of a resource in every spelling the generated code uses, and the rules for them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scaffold.errors import ResourceError

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# Paths the service itself serves, and the template's own resource.
RESERVED = frozenset({"orders", "health", "metrics", "docs", "openapi"})
# Tables the template's migrations (some only with later answers) and Kysely's migrator create.
RESERVED_TABLES = frozenset({
    "orders", "order_items", "idempotency_keys", "outbox_messages",
    "kysely_migration", "kysely_migration_lock",
})  # fmt: skip
# Words that cannot name a variable in TypeScript (strict mode), which the camelCase names do.
JS_RESERVED = frozenset({
    "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default",
    "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function",
    "if", "implements", "import", "in", "instanceof", "interface", "let", "new", "null",
    "package", "private", "protected", "public", "return", "static", "super", "switch", "this",
    "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
})  # fmt: skip


@dataclass(frozen=True)
class ResourceNames:
    """One resource's names in every spelling the generated code uses."""

    plural: str
    singular: str

    @property
    def table(self) -> str:
        """The Postgres table: `line_items`."""
        return self.plural.replace("-", "_")

    def variables(self) -> dict[str, str]:
        """The Jinja variables of the resource templates."""
        words = self.singular.replace("-", " ")
        return {
            "plural": self.plural,
            "singular": self.singular,
            "plural_camel": _camel(self.plural),
            "singular_camel": _camel(self.singular),
            "plural_pascal": _pascal(self.plural),
            "singular_pascal": _pascal(self.singular),
            "plural_words": self.plural.replace("-", " "),
            "singular_words": words,
            "a_singular_words": ("an " if words[0] in "aeiou" else "a ") + words,
            "table": self.table,
        }


def resource_names(name: str, *, singular: str | None = None) -> ResourceNames:
    """Validate NAME (a plural, kebab-case) and derive its singular unless one is given."""
    if not _NAME.fullmatch(name) or len(name) > 40:
        msg = (
            f"'{name}' is not a valid resource name: use a plural in lowercase kebab-case, "
            "letters and digits, starting with a letter (e.g. customers, line-items)."
        )
        raise ResourceError(msg)
    if name in RESERVED:
        msg = f"'{name}' is reserved: the service already serves /{name}. Choose another name."
        raise ResourceError(msg)
    if name.replace("-", "_") in RESERVED_TABLES:
        msg = (
            f"'{name}' is reserved: its table {name.replace('-', '_')} belongs to the template "
            "(some features add it later). Choose another name."
        )
        raise ResourceError(msg)
    if singular is None:
        singular = _singular(name)
    elif not _NAME.fullmatch(singular) or len(singular) > 40 or singular == name:
        msg = (
            f"--singular '{singular}' is not valid: give the singular of {name} in lowercase "
            "kebab-case (e.g. --singular person for people)."
        )
        raise ResourceError(msg)
    names = ResourceNames(plural=name, singular=singular)
    variables = names.variables()
    for key in ("plural_camel", "singular_camel"):
        if variables[key] in JS_RESERVED:
            msg = (
                f"'{variables[key]}' is a reserved word in TypeScript and cannot name the "
                f"{key.split('_')[0]} variable of '{name}'. Choose another name."
            )
            raise ResourceError(msg)
    return names


def _singular(plural: str) -> str:
    last = plural.rsplit("-", 1)[-1]
    if last.endswith("ies") and len(last) > 3:
        word = last[:-3] + "y"
    elif last.endswith(("sses", "xes", "ches", "shes", "zzes")):
        word = last[:-2]
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 1:
        word = last[:-1]
    else:
        msg = (
            f"'{plural}' does not look like a plural, and the singular names the classes "
            f"and files: pass it, e.g. scaffold add resource {plural} --singular NAME."
        )
        raise ResourceError(msg)
    return plural[: len(plural) - len(last)] + word


def _camel(kebab: str) -> str:
    first, *rest = kebab.split("-")
    return first + "".join(part.capitalize() for part in rest)


def _pascal(kebab: str) -> str:
    return "".join(part.capitalize() for part in kebab.split("-"))
