"""An import-linter contract that import-linter does not ship: no module imports itself back.

``acyclic_siblings`` looks at packages as wholes; this looks at modules, lazy
and type-checking imports included (grimp sees both), so ``codebook`` and
``coding`` may use each other's modules as long as no chain of imports leads
back to where it started.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class NoModuleCyclesContract(Contract):
    """Every import from one module of ``package`` to another must not lead back to it.

    Configuration: ``package``, the package whose modules are checked.
    """

    package = fields.StringField()

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        package = str(self.package)
        modules = sorted(graph.find_descendants(package) | {package})
        cycles: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for module in modules:
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if imported == module or not imported.startswith(f"{package}."):
                    continue
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                if chain is None:
                    continue
                cycle = [module, *chain]
                if (key := frozenset(cycle)) not in seen:
                    seen.add(key)
                    cycles.append(cycle)
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join(cycle))
            output.new_line()
