"""The tenant's running tasks, from Redis only."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.access.roles import state_readable
from academy.progress.registry import kind_get
from academy.progress.selectors import active_tasks
from academy.progress.stream import stream_ticket_create


class ActiveTasksApi(APIView):
    """Token -> the tenant's active index and its tasks' states (two Redis round trips)."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        results = [
            {
                "kind": ref.kind,
                "id": ref.task_id,
                "started_at": started_at,
                "progress": kind_get(ref.kind).render(ref.task_id, state),
            }
            for ref, started_at, state in active_tasks(request.user.tenant_id)
            # Only what the caller may read: the owner is in the status hash.
            if state_readable(request.user, state.fields)
        ]
        return Response({"results": results})


class StreamTicketApi(APIView):
    """Token -> a single-use ticket for GET /api/v1/progress/stream/ (one Redis write, no SQL)."""

    @extend_schema(request=None, responses={201: dict})
    def post(self, request):
        user = request.user
        return Response(stream_ticket_create(tenant_id=user.tenant_id, user_id=user.user_id, role=user.role),
                        status=201)
