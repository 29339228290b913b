# The compass-action image. python:3.14-slim: the current CPython on Debian 13 (trixie), the
# smallest official image with a complete standard library and pip; no compilers, as every
# runtime dependency ships wheels for amd64 and arm64.
FROM python:3.14-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Dependencies first, so a code change rebuilds only the layers below. Wheels only, every file
# checked against the hashes of the lock, nothing resolved at build time.
COPY requirements/runtime.txt /app/requirements/runtime.txt
RUN python -m pip install --require-hashes --only-binary=:all: --no-deps \
        -r /app/requirements/runtime.txt

COPY LICENSE /app/LICENSE
COPY entrypoint.py /app/entrypoint.py
COPY post-entrypoint.sh /app/post-entrypoint.sh
COPY compass_action /app/compass_action

# Bytecode now, so that start-up reads it instead of compiling (and writes nothing).
RUN python -m compileall -q /app "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"

# No USER (the runner needs root to use the mounted workspace) and no WORKDIR (the runner sets
# /github/workspace). -E and -s: the workflow's PYTHON* variables and a user site cannot change
# what runs; -u and -B stand in for the two variables above that -E turns off.
ENTRYPOINT ["/usr/local/bin/python", "-E", "-s", "-u", "-B", "/app/entrypoint.py"]
