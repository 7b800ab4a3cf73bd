"""Demo data for `make run` (never loaded under production settings). Idempotent."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, DealerUser
from dealers.services import dealer_create, dealer_topup
from gateways.models import Gateway, Route
from gateways.simulators.services import simulator_provision
from kit.roles import ADMIN, DEALER, SENIOR, SUPPORT, roles_sync
from providers.models import Category, FeeRule, OperatorProvider, Provider, ProviderField, RewardRule
from screens.demo import screens_demo_load
from terminals.models import Terminal

DEMO_PASSWORD = "kit-demo"

CATEGORIES = [("mobile", "Мобильная связь", 1, "phone"), ("internet", "Интернет и ТВ", 2, "wifi"),
              ("utilities", "ЖКХ", 3, "house")]

# code -> legal name, INN, check online first, offline max (None: no offline payments; "" : up to max)
LEGAL = {
    "mts": ("ПАО «МТС»", "7740000076", False, ""),
    "beeline": ("ПАО «ВымпелКом»", "7713076301", False, ""),
    "megafon": ("ПАО «МегаФон»", "7812014560", False, ""),
    "tele2": ("ООО «Т2 Мобайл»", "7743895280", False, ""),
    "rostelecom": ("ПАО «Ростелеком»", "7707049388", True, "5000.00"),
    "mosenergosbyt": ("ПАО «Мосэнергосбыт»", "7736520080", False, "15000.00"),
    "demo-isp": ("ООО «ДомНет» (демо)", "7700000099", True, None),
}

# Extra account fields: provider -> [(name, label, label_en, regex, example, mask, required)]. Optional in
# the demo so a payment of the account alone stays valid; the example keeps any last four digits.
FIELDS = {
    "mosenergosbyt": [("period", "Период оплаты (ММГГГГ)", "Billing period (MMYYYY)",
                       r"(0[1-9]|1[0-2])[0-9]{4}", "112026", "99 9999", False)],
    "rostelecom": [("contract", "Номер договора", "Contract number", r"[0-9]{6,12}", "123456789", "", False)],
}

# The operators' INNs in the numbering plan -> our providers (never matched by the operator's name).
OPERATOR_INNS = [("7740000076", "mts", "ПАО «Мобильные ТелеСистемы»"), ("7713076301", "beeline", "ПАО «ВымпелКом»"),
                 ("7812014560", "megafon", "ПАО «МегаФон»"), ("7743895280", "tele2", "ООО «Т2 Мобайл»")]

# code, name, category, label, format, example, min, max, fee % , fee min, reward %
PROVIDERS = [
    ("mts", "МТС", "mobile", "Номер телефона", r"9[0-9]{9}", "9161234567", "1.00", "15000.00", "0", "0", "1.50"),
    ("beeline", "Билайн", "mobile", "Номер телефона", r"9[0-9]{9}", "9031234567", "1.00", "15000.00", "0", "0", "1.20"),
    ("megafon", "МегаФон", "mobile", "Номер телефона", r"9[0-9]{9}", "9261234567", "1.00", "15000.00", "0", "0", "1.30"),
    ("tele2", "Tele2", "mobile", "Номер телефона", r"9[0-9]{9}", "9771234567", "1.00", "15000.00", "0", "0", "1.40"),
    ("rostelecom", "Ростелеком (интернет)", "internet", "Лицевой счёт", r"[0-9]{12}", "771234567890",
     "10.00", "30000.00", "0", "0", "1.00"),
    ("mosenergosbyt", "Мосэнергосбыт", "utilities", "Лицевой счёт (10 цифр)", r"[0-9]{10}", "7712345678",
     "10.00", "50000.00", "1.00", "10.00", "0.50"),
    ("demo-isp", "ДомНет (интернет)", "internet", "Номер договора (6-10 цифр)", r"[0-9]{6,10}", "12345678",
     "10.00", "15000.00", "0", "0", "2.00"),
]

# Demo Sub's reward percent, set by Demo (at most Demo's own); other providers: no reward for Demo Sub.
SUB_REWARD = {"mts": "1.00", "beeline": "0.80", "megafon": "0.80", "tele2": "1.00"}

# code, name, protocol, params
GATEWAYS = [
    ("cyberplat", "CyberPlat", "cyberplat", {"SD": "70001", "AP": "70002", "OP": "70003", "key_serial": "700042"}),
    ("osmp", "OSMP / QIWI", "osmp", {"terminal_id": "7000101", "login": "kit-demo"}),
    ("contact", "Contact", "contact", {"point_code": "KITD", "int_soft_id": "00000000-0000-4000-8000-000000000001"}),
    ("comepay", "ComePay", "comepay", {"login": "kit-demo"}),
    # An ISP's billing we pay directly over the OSMP provider protocol (Basic auth, no signature).
    ("provider", "ДомНет billing (provider protocol)", "provider",
     {"login": "kit-demo", "account_format": r"[0-9]{6,10}", "min_amount": "10.00", "max_amount": "15000.00"}),
]

# provider -> [(gateway, priority, remote id)]
ROUTES = {
    "mts": [("cyberplat", 1, "mt")],
    "beeline": [("osmp", 1, "2")],
    "megafon": [("contact", 1, "1001")],
    "tele2": [("comepay", 1, "301")],
    "rostelecom": [("cyberplat", 1, "rt"), ("osmp", 2, "501")],
    "mosenergosbyt": [("osmp", 1, "1507")],
    "demo-isp": [("provider", 1, "isp")],
}

USERS = [
    # username, staff, superuser, group, dealer name
    ("admin", True, True, ADMIN, None),
    ("support", True, False, SUPPORT, None),
    ("senior", True, False, SENIOR, None),
    ("dealer", False, False, DEALER, "Demo"),
    ("subdealer", False, False, DEALER, "Demo Sub"),
]


def _dealer(name: str, parent: Dealer | None, opening: str, **fields) -> Dealer:
    dealer = Dealer.objects.filter(name=name, parent=parent).first()
    if dealer is None:
        dealer = dealer_create(name=name, parent=parent, **fields)
    if not dealer.ledger.exists():
        dealer_topup(dealer=dealer, amount=Decimal(opening), comment="demo opening balance")
    return dealer


@transaction.atomic
def demo_load() -> dict:
    """Create the demo world, or leave it as it is when it is there already."""
    roles_sync()
    demo = _dealer("Demo", None, "1000000.00", inn="7700000001", contact="demo@example.org",
                   support_phone="8 800 000-00-01")
    sub = _dealer("Demo Sub", demo, "100000.00", inn="7700000002", contact="sub@example.org",
                  support_phone="8 800 000-00-02")

    cats = {}
    for code, name, pos, icon in CATEGORIES:
        cats[code], _ = Category.objects.get_or_create(code=code, defaults={"name": name, "position": pos,
                                                                            "icon": icon})
    since = timezone.now().replace(year=2020, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    providers = []
    for code, name, cat, label, fmt, example, lo, hi, fee_pct, fee_min, reward_pct in PROVIDERS:
        legal_name, inn, check, offline = LEGAL[code]
        provider, created = Provider.objects.get_or_create(code=code, defaults=dict(
            name=name, category=cats[cat], account_label=label, account_format=fmt, account_example=example,
            min_amount=Decimal(lo), max_amount=Decimal(hi), legal_name=legal_name, inn=inn, check_required=check,
            offline_allowed=offline is not None, offline_max_amount=Decimal(offline) if offline else None))
        if created:
            for pos, (fname, flabel, flabel_en, regex, fexample, mask, required) in enumerate(FIELDS.get(code, [])):
                ProviderField.objects.create(provider=provider, position=pos, name=fname, label=flabel,
                                             label_en=flabel_en, regex=regex, example=fexample, mask=mask,
                                             required=required)
            FeeRule.objects.create(provider=provider, percent=Decimal(fee_pct), minimum=Decimal(fee_min),
                                   valid_from=since)
            RewardRule.objects.create(provider=provider, percent=Decimal(reward_pct), valid_from=since)
        # A sub-agent earns only what its parent sets: Demo gives Demo Sub a part of its mobile rates.
        if code in SUB_REWARD and not RewardRule.objects.filter(provider=provider, dealer=sub).exists():
            RewardRule.objects.create(provider=provider, dealer=sub, percent=Decimal(SUB_REWARD[code]),
                                      valid_from=since)
        providers.append(provider)

    for inn, pcode, note in OPERATOR_INNS:
        OperatorProvider.objects.get_or_create(inn=inn, defaults={"provider": Provider.objects.get(code=pcode),
                                                                  "note": note})

    base = settings.KIT_SIMULATOR_BASE_URL.rstrip("/")
    gateways = {}
    for code, name, protocol, params in GATEWAYS:
        gw, created = Gateway.objects.get_or_create(code=code, defaults=dict(
            name=name, protocol=protocol, base_url=f"{base}/sim/{code}/", params=params,
            secret=f"demo-{code}-password", connect_timeout=2.0, read_timeout=5.0))
        if created or not gw.private_key:
            # Both parties' keys, exchanged as two parties would: each keeps its private key
            # and receives the other's public key; the simulator issues our password.
            simulator_provision(gateway=gw, sim_params=params)
        # The demo site may move (another port): keep its gateways on its own simulators.
        sim_url = f"{base}/sim/{code}/"
        if "/sim/" in gw.base_url and gw.base_url != sim_url:
            gw.base_url = sim_url
            gw.save(update_fields=["base_url"])
        gateways[code] = gw
    for pcode, routes in ROUTES.items():
        provider = Provider.objects.get(code=pcode)
        for gcode, priority, remote in routes:
            Route.objects.get_or_create(provider=provider, gateway=gateways[gcode], dealer=None,
                                        defaults={"priority": priority, "remote_id": remote})

    for number, dealer, address in [("1001", demo, "Москва, Тверская ул., 1"),
                                    ("1002", demo, "Москва, Арбат, 10"),
                                    ("1003", demo, "Москва, Ленинский пр-т, 30"),
                                    ("2001", sub, "Химки, Ленинградское ш., 5")]:
        terminal, _ = Terminal.objects.get_or_create(number=number, defaults={"dealer": dealer, "address": address})
        terminal.providers.add(*providers)
    screens_demo_load(dealer=demo, terminals=Terminal.objects.filter(dealer__in=[demo, sub]))

    User = get_user_model()
    for username, staff, superuser, group, dealer_name in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD, is_staff=staff,
                                            is_superuser=superuser)
        user.groups.add(Group.objects.get(name=group))
        if dealer_name:
            link, _ = DealerUser.objects.get_or_create(user=user, defaults={
                "dealer": Dealer.objects.get(name=dealer_name), "role": DealerUser.Role.ADMIN})
            if link.role != DealerUser.Role.ADMIN:
                link.role = DealerUser.Role.ADMIN
                link.save(update_fields=["role"])
    return {"dealers": [demo, sub], "providers": providers, "gateways": gateways}
