from django.urls import path

from . import views

urlpatterns = [
    path("themes/", views.theme_list, name="themes"),
    path("themes/assign/", views.theme_assign, name="theme_assign"),
    path("themes/<int:pk>/", views.theme_edit, name="theme"),
    path("ads/", views.ad_list, name="ads"),
    path("ads/<int:pk>/", views.ad_edit, name="ad"),
]
