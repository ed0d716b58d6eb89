"""The one exception hierarchy of scaffold.

Everything a user can cause and fix derives from `ScaffoldError`: the CLI prints its message in
red and exits 1. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class ScaffoldError(Exception):
    """A problem the user can fix; its message says what happened and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidAnswerError(ScaffoldError):
    """An answer broke a questionnaire rule (its validator's message is kept)."""


class UnknownQuestionError(ScaffoldError):
    """An answer was given for a question the questionnaire does not have."""


class AnswersFileError(ScaffoldError):
    """An answers file is missing, unreadable or not a YAML mapping."""


class UnknownPresetError(ScaffoldError):
    """A preset name that does not exist."""


class DestinationError(ScaffoldError):
    """The destination cannot be written (not empty without --force, not a directory, …)."""


class ToolMissingError(ScaffoldError):
    """An external program (git, npm) is needed but not found."""


class InstallError(ScaffoldError):
    """`npm install` failed; the rendered project is left in place."""


class NoTerminalError(ScaffoldError):
    """Questions would have to be asked, but there is no terminal to ask them in."""


class GenerationInterrupted(ScaffoldError):  # noqa: N818 - it is not an error of the user's
    """Ctrl-C stopped `scaffold new`: nothing was written, or a complete project was left.

    Its message says which, and what is left to do; the exit code is 130, as for any Ctrl-C.
    """

    exit_code = 130


class DirtyTreeError(ScaffoldError):
    """The project's subtree has uncommitted changes, and a command would write into it."""


class TemplateVersionError(ScaffoldError):
    """A template version was asked for (or recorded) that the template's history lacks."""


class NotAProjectError(ScaffoldError):
    """A path is not in a generated project, or the project's answers file is unreadable."""


class NotInRepositoryError(ScaffoldError):
    """A command would change a project that is not in a git repository."""


class ResourceError(ScaffoldError):
    """The resource cannot be added (bad name, already there, registry not recognised)."""


class AnchorMissingError(ScaffoldError):
    """The code an insertion is placed by (or relies on) is not in the file."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the file has no {what}")
        self.what = what


class ProbeError(ScaffoldError):
    """A probe did not get the answer it expects (its message says which and what came back)."""
