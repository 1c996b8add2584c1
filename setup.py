"""Only what pyproject.toml cannot say: the wheel carries prompts/ as assistant/prompt_templates.

prompts/ at the repository root stays the one copy to edit; ``assistant.answer.prompts`` reads it
in a checkout and the packaged copy in an installed wheel.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "assistant" / "prompt_templates"
        target.mkdir(parents=True, exist_ok=True)
        for template in sorted(Path(__file__).resolve().parent.joinpath("prompts").glob("*.txt")):
            shutil.copyfile(template, target / template.name)


setup(cmdclass={"build_py": BuildPy})
