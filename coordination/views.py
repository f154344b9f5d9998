from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _api_json(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    """Django's 400 (a suspicious request refused before or outside the API's views): JSON under /api/."""
    from django.core.exceptions import RequestDataTooBig
    from django.views.defaults import bad_request as html_bad_request

    if not _api_json(request):
        return html_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        from coordination.api.exceptions import too_big_message

        return JsonResponse({"detail": too_big_message()}, status=413)
    return JsonResponse({"detail": "The request was refused as malformed."}, status=400)


def server_error(request):
    """Django's 500: JSON under /api/ (a client parses it), the HTML page elsewhere."""
    from django.views.defaults import server_error as html_server_error

    if not _api_json(request):
        return html_server_error(request)
    return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
