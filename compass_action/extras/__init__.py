"""What a step sends besides its event: metric values, an API spec, a lock file (issue 21).

Imported only when one of the inputs that ask for these is set (``ActionInputs.extras_asked``),
so the plain event path loads none of it.
"""
