"""The company directory, and each project's directory drawn from it (never a second copy)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from approvals.forms.companies import AddCompanyToProjectForm, CompanyForm, CompanySearchForm
from approvals.ids import parsed_id
from approvals.locking import locked_fields
from approvals.models import Company
from approvals.selectors import projects_for_user
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.views.access import member_project, require_permission
from approvals.views.editing import CONCURRENT_EDIT, locked_for_update, save_edit
from approvals.views.sync import sync_panel
from approvals.views.vendor_updates import (
    goes_through_vendor_update,
    propose_page,
    vendor_update_panel,
)


@login_required
def company_list(request):
    search = CompanySearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    companies = Company.objects.filter(is_archived=False).order_by("name")
    if query:
        companies = companies.filter(name__icontains=query)
    context = {"companies": companies[:500], "query": query, "search": search}
    return render(request, "approvals/company_list.html", context)


@login_required
def company_create(request):
    require_permission(request.user, "add_company")
    project = None
    project_pk = parsed_id(request.GET.get("project", ""))
    if project_pk is not None:
        project = member_project(request.user, project_pk)
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                company = form.save(commit=False)
                company.created_by = request.user
                company.save()
                if project is not None:
                    project.companies.add(company)
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            if project is not None:
                messages.success(request, f"{company} was added to the directory of {project}.")
                return redirect("approvals:project_detail", pk=project.pk)
            messages.success(request, f"{company} was added to the company directory.")
            return redirect("approvals:company_detail", pk=company.pk)
    return render(request, "approvals/company_form.html", {"form": form, "project": project})


@login_required
def company_detail(request, pk):
    company = get_object_or_404(Company, pk=pk)
    context = {
        "company": company,
        "my_projects": projects_for_user(request.user).filter(companies=company),
        **sync_panel(request.user, company),
        **vendor_update_panel(request.user, company),
    }
    return render(request, "approvals/company_detail.html", context)


@login_required
def company_edit(request, pk):
    company = get_object_or_404(Company, pk=pk)
    if goes_through_vendor_update(company):
        return propose_page(request, company)
    require_permission(request.user, "change_company")
    if request.method != "POST":
        form = CompanyForm(instance=company, locked=locked_fields(company))
        return render(request, "approvals/company_form.html", {"form": form, "company": company})
    try:
        with transaction.atomic():
            company = locked_for_update(Company, company.pk)
            before = exported_values(company)
            form = CompanyForm(request.POST, instance=company, locked=locked_fields(company))
            if form.is_valid():
                save_edit(form)
                record_edited(record=company, actor=request.user, before=before)
                messages.success(request, f"{company} was saved.")
                return redirect("approvals:company_detail", pk=company.pk)
    except IntegrityError:
        form.add_error(None, CONCURRENT_EDIT)
    return render(request, "approvals/company_form.html", {"form": form, "company": company})


@login_required
@require_POST
def project_add_company(request, pk):
    project = member_project(request.user, pk)
    require_permission(request.user, "change_project")
    form = AddCompanyToProjectForm(request.POST, project=project)
    if form.is_valid():
        company = form.cleaned_data["company"]
        project.companies.add(company)
        messages.success(request, f"{company} was added to the directory of {project}.")
    else:
        for error in form.errors.get("company", []):
            messages.error(request, error)
    return redirect("approvals:project_detail", pk=project.pk)
