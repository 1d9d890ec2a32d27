"""Server-side printing: `as=Table` responses with the columns `kubectl get` shows for each kind
(k8s.io/kubernetes/pkg/printers/internalversion/printers.go), CRD additionalPrinterColumns, and the
Name/Age default for everything else.

Each kind's printer lives in a module of this package and registers itself in `table.PRINTERS`.
"""

from kubegenie.sandbox.printers.table import build_table, register

__all__ = ["build_table", "register"]
