"""In-memory fakes of the ports, one module per feature (no I/O).

Importing the package loads every module, so each feature's fake repositories are registered
with the unit of work before a test builds one.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
