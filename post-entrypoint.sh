#!/bin/sh
# The post step of track-job (action.yml runs.post-entrypoint): the final state of the job's
# Compass events. The runner starts it only when a step of the job turned track-job on (post-if);
# a use of the action in the same job that did not ends here, before Python starts, since only
# the step that turned it on saved the state "TRACKING" (GITHUB_STATE -> STATE_TRACKING).
[ "${STATE_TRACKING:-}" = "true" ] || exit 0
exec /usr/local/bin/python -E -s -u -B /app/entrypoint.py post
