from django.contrib import admin

from .models import BlacklistedAccount, Category, FeeRule, Provider, RewardRule


class FeeRuleInline(admin.TabularInline):
    model = FeeRule
    extra = 0


class RewardRuleInline(admin.TabularInline):
    model = RewardRule
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "position"]
    search_fields = ["name", "code"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "account_example", "min_amount", "max_amount", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "code"]
    inlines = [FeeRuleInline, RewardRuleInline]


@admin.register(BlacklistedAccount)
class BlacklistedAccountAdmin(admin.ModelAdmin):
    list_display = ["account", "provider", "reason", "created_at"]
    search_fields = ["account"]
    list_filter = ["provider"]
