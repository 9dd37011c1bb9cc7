# Installed as sitecustomize only for old pgAdmin releases (4.22): Flask 1.0 and its peers import
# the ABCs from `collections`, which Python 3.10 removed; alias them back from collections.abc.
import collections
import collections.abc

for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Set", "MutableSet", "Iterable", "Callable", "Hashable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
