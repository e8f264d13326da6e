app_name = "quickbooks_online"
urlpatterns: list = []
