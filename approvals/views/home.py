from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from approvals.selectors import projects_for_user


@login_required
def home(request):
    projects = projects_for_user(request.user).filter(is_active=True).order_by("number")
    return render(request, "approvals/home.html", {"projects": projects})
