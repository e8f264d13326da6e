from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from approvals.models import Project


@login_required
def home(request):
    projects = Project.objects.filter(members=request.user, is_active=True).order_by("number")
    return render(request, "approvals/home.html", {"projects": projects})
