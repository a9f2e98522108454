"""The contract use cases in one service, as the API and the worker reach them. Each group
lives in its own module: drafts (`drafting`), the approval chain (`approving`), life after
approval (`lifecycle`), the reminder scan and daily sweep (`clocks`), the approval-time report
(`report`); what they share is in `use_case`."""

from __future__ import annotations

from domain.contracts.approving import Approving
from domain.contracts.clocks import Clocks
from domain.contracts.drafting import Drafting
from domain.contracts.lifecycle import AfterApproval
from domain.contracts.report import Reporting


class ContractService(Drafting, Approving, AfterApproval, Clocks, Reporting):
    """Built with the unit of work, the clock, the customers' and the deals' use cases."""
