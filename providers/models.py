from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import ZERO, MoneyField


class Category(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Provider(models.Model):
    """What a customer can pay for. `min_amount` is also the least sum the provider must receive."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="providers")
    account_label = models.CharField(_("account label"), max_length=100, default="Номер телефона")
    account_format = models.CharField(_("account format (regular expression)"), max_length=200)
    account_example = models.CharField(_("account example"), max_length=64)
    min_amount = MoneyField(_("minimum amount"), default="1.00")
    max_amount = MoneyField(_("maximum amount"), default="15000.00")
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("Inactive: payments are recorded and held until re-enabled."))
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["category__position", "name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class RuleBase(models.Model):
    """A money rule in force from `valid_from` (inclusive) to `valid_to` (exclusive, optional)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE)
    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE,
                               help_text=_("Empty: the provider's default for every dealer."))
    percent = models.DecimalField(_("percent"), max_digits=6, decimal_places=3, default=0)
    fixed = MoneyField(_("fixed"), default=ZERO)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["provider", "dealer", "-valid_from"]


class FeeRule(RuleBase):
    """The customer's fee: percent of the cash plus fixed, at least `minimum`."""

    minimum = MoneyField(_("minimum"), default=ZERO)

    class Meta(RuleBase.Meta):
        verbose_name = _("customer fee rule")
        verbose_name_plural = _("customer fee rules")
        default_related_name = "fee_rules"

    def __str__(self):
        return f"{self.provider.code}: {self.percent}% + {self.fixed} (min {self.minimum})"


class RewardRule(RuleBase):
    """The dealer's reward: percent of the credited sum plus fixed."""

    class Meta(RuleBase.Meta):
        verbose_name = _("dealer reward rule")
        verbose_name_plural = _("dealer reward rules")
        default_related_name = "reward_rules"

    def __str__(self):
        return f"{self.provider.code}: {self.percent}% + {self.fixed}"


class BlacklistedAccount(models.Model):
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.CASCADE,
                                 help_text=_("Empty: blocked for every provider."))
    account = models.CharField(_("account"), max_length=64, db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("blacklisted account")
        verbose_name_plural = _("blacklisted accounts")

    def __str__(self):
        return self.account
