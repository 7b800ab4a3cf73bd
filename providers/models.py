from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import ZERO, MoneyField


class Category(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    icon = models.CharField(_("icon"), max_length=100, blank=True,
                            help_text=_("The kiosk's icon name for this category, e.g. phone, wifi, house."))

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
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="providers")
    account_label = models.CharField(_("account label"), max_length=100, default="Номер телефона")
    account_format = models.CharField(_("account format (regular expression)"), max_length=200)
    account_example = models.CharField(_("account example"), max_length=64)
    account_label_en = models.CharField(_("account label (English)"), max_length=100, blank=True)
    account_mask = models.CharField(_("account input mask"), max_length=64, blank=True,
                                    help_text=_("A hint for the kiosk's keyboard, e.g. (999) 999-99-99."))
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True,
                                  help_text=_("The supplier named on the fiscal receipt."))
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    check_required = models.BooleanField(_("check the account online first"), default=False,
                                         help_text=_("The kiosk asks /checks before it takes the cash."))
    offline_allowed = models.BooleanField(_("payments offline allowed"), default=True)
    offline_max_amount = MoneyField(_("largest payment offline"), null=True, blank=True,
                                    help_text=_("Empty: up to the provider's maximum."))
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


class ProviderField(models.Model):
    """An account field besides the main one (`account`): arrives in the payment's `fields`."""

    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.SlugField(_("name"), max_length=64)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    regex = models.CharField(_("format (regular expression)"), max_length=200)
    example = models.CharField(_("example"), max_length=64)
    mask = models.CharField(_("input mask"), max_length=64, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("account field")
        verbose_name_plural = _("account fields")
        ordering = ["provider", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="provider_field_unique")]

    def __str__(self):
        return f"{self.provider_id}:{self.name}"


class ProviderStateChange(models.Model):
    """Append-only: every enable or disable of a provider, with who and why."""

    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="state_changes")
    is_active = models.BooleanField(_("active"))
    reason = models.CharField(_("reason"), max_length=255)
    actor = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider state change")
        verbose_name_plural = _("provider state changes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.provider_id} -> {self.is_active}"


class RuleBase(models.Model):
    """A money rule in force from `valid_from` (inclusive) to `valid_to` (exclusive, optional)."""

    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.CASCADE)
    dealer = models.ForeignKey("dealers.Dealer", verbose_name=_("dealer"), null=True, blank=True, on_delete=models.CASCADE,
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
    """An account nobody may pay to: exact, a phone number (any format), a prefix or a pattern."""

    class Kind(models.TextChoices):
        EXACT = "exact", _("exact account")
        PHONE = "phone", _("phone number")
        PREFIX = "prefix", _("prefix")
        PATTERN = "pattern", _("pattern (regular expression)")

    provider = models.ForeignKey(Provider, verbose_name=_("provider"), null=True, blank=True, on_delete=models.CASCADE,
                                 help_text=_("Empty: blocked for every provider."))
    kind = models.CharField(_("matches"), max_length=10, choices=Kind.choices, default=Kind.EXACT)
    account = models.CharField(_("account, number, prefix or pattern"), max_length=200, db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.CharField(_("added by"), max_length=150, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True,
                                      help_text=_("Empty: until removed."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blacklisted account")
        verbose_name_plural = _("blacklisted accounts")

    def __str__(self):
        return self.account


class BlacklistChange(models.Model):
    """Append-only history of a blacklist entry (kept after the entry is removed)."""

    entry = models.ForeignKey(BlacklistedAccount, verbose_name=_("entry"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="changes")
    action = models.CharField(_("action"), max_length=10)  # added, changed, removed
    data = models.JSONField(_("entry"), default=dict)
    actor = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blacklist change")
        verbose_name_plural = _("blacklist changes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.data.get('account', '')}"


class DealerProviders(models.Model):
    """Which providers a dealer may offer on its terminals; no row: every active provider.

    A sub-agent may offer only what every dealer above it may (the lists intersect down the tree).
    """

    dealer = models.OneToOneField("dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, primary_key=True,
                                  related_name="provider_allowance")
    providers = models.ManyToManyField(Provider, blank=True, related_name="+", verbose_name=_("providers allowed"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dealer's allowed providers")
        verbose_name_plural = _("dealers' allowed providers")

    def __str__(self):
        return str(self.dealer_id)


class NumberRange(models.Model):
    """One row of the numbering plan: ten-digit numbers first..last belong to an operator."""

    first = models.BigIntegerField(_("first number"))
    last = models.BigIntegerField(_("last number"))
    operator = models.CharField(_("operator"), max_length=255)
    region = models.CharField(_("region"), max_length=255, blank=True)
    territory = models.CharField(_("territory"), max_length=255, blank=True)
    inn = models.CharField(_("operator INN"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("number range")
        verbose_name_plural = _("numbering plan")
        # The look-up is "the range with the greatest first <= n", then last >= n: a backward
        # scan of this B-tree that stops at the first row (ranges never overlap). A B-tree on
        # one bigint works on SQLite too; PostgreSQL's GiST on int8range would serve the same.
        indexes = [models.Index(fields=["first"], name="number_range_first")]

    def __str__(self):
        return f"{self.first}-{self.last} {self.operator}"


class PortedNumber(models.Model):
    """A number moved to another operator (portability): wins over the plan."""

    number = models.BigIntegerField(_("number"), primary_key=True)
    operator_inn = models.CharField(_("operator INN"), max_length=12)
    ported_at = models.DateField(_("ported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ported number")
        verbose_name_plural = _("ported numbers")

    def __str__(self):
        return str(self.number)


class NumberingPlanLoad(models.Model):
    """A successful load of the plan or of the ported numbers (what is in force, from which files)."""

    kind = models.CharField(_("kind"), max_length=10)  # plan, ported
    files = models.JSONField(_("files"), default=list)
    digest = models.CharField(_("content SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("numbering plan load")
        verbose_name_plural = _("numbering plan loads")
        ordering = ["-loaded_at", "-id"]

    def __str__(self):
        return f"{self.kind} {self.loaded_at:%Y-%m-%d %H:%M}"


class OperatorProvider(models.Model):
    """Operator INN -> our provider (never by name: the registry spells names many ways)."""

    inn = models.CharField(_("operator INN"), max_length=12, unique=True)
    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="operator_inns")
    note = models.CharField(_("operator name (a note)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("operator -> provider")
        verbose_name_plural = _("operators -> providers")
        ordering = ["inn"]

    def __str__(self):
        return f"{self.inn} -> {self.provider_id}"
