"""A fiscal registrar that records what it was asked to do (and can be made to fail)."""

from __future__ import annotations

from ..fiscal import AgentReceipt, FiscalRegistrar, FiscalResult, RegistrarError, RegistrarStatus


class FiscalRegistrarSimulator(FiscalRegistrar):
    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.shift_open = False
        self.failing = False
        self.number = 0

    def status(self) -> RegistrarStatus:
        self.calls.append(("status", {}))
        return RegistrarStatus(ok=not self.failing, shift_open=self.shift_open, fiscal=True,
                               detail="failing" if self.failing else "simulated")

    def open_shift(self) -> None:
        self.calls.append(("open_shift", {}))
        if self.failing:
            raise RegistrarError("simulated registrar failure")
        self.shift_open = True

    def close_shift(self) -> None:
        self.calls.append(("close_shift", {}))
        self.shift_open = False

    def register(self, receipt: AgentReceipt) -> FiscalResult:
        tags = receipt.tags()
        self.calls.append(("register", tags))
        if self.failing:
            raise RegistrarError("simulated registrar failure")
        if not self.shift_open:
            raise RegistrarError("shift is not open")
        self.number += 1
        return FiscalResult(fiscal=True, printed=True, document_number=str(self.number),
                            fiscal_sign=f"{self.number:010d}")
