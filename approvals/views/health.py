"""`/health/` for a load balancer or monitor: JSON, no login, 503 when this install cannot work."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from approvals.services.health import health_check


@never_cache
@require_safe
def health(request):
    report = health_check()
    return JsonResponse(report.as_json(), status=200 if report.healthy else 503)
