"""What the fault matrix and the soak found, kept for docs/reliability.md (see report.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CellOutcome:
    erp: str
    export: str
    fault: str
    status: str
    told: str  # what the accountant reads on the record at the end
    told_while_retrying: list[str]
    linked: bool
    documents: int  # the ERP's documents (or change-order lines) that are the record's
    requests: int  # company API requests the cell made, after the scene was set
    faults_fired: int
    worker_runs: int


@dataclass
class SoakFigures:
    seed: int
    seconds: float
    accepted: dict[str, int]
    synced: int
    failed_by_reason: dict[str, int]
    faults_by_kind: dict[str, int]
    requests: int
    documents: int
    bills_total: str
    fault_share: float
    workers: int
    token_expiries: int
    retried_by_accountant: int

    def summary(self) -> str:
        minutes = self.seconds / 60
        return "\n".join(
            [
                f"Soak seed {self.seed}: {self.seconds:.0f} s, {self.workers} worker processes",
                f"  accepted {sum(self.accepted.values())} {self.accepted}",
                f"  synced {self.synced}, failed {sum(self.failed_by_reason.values())}: "
                f"{self.failed_by_reason}",
                f"  retried by the accountant and synced: {self.retried_by_accountant}",
                f"  faults injected {self.faults_by_kind}, "
                f"access tokens expired {self.token_expiries} times",
                f"  requests {self.requests}, documents {self.documents} "
                f"({self.documents / minutes:.1f} per minute), bills total {self.bills_total}",
            ]
        )


@dataclass
class OutageFigures:
    outage_seconds: float
    accepted: dict[str, int]
    documents: int  # QuickBooks documents of the accepted records, exactly one each
    processes: list[str]
    exited: int
    settled_after_seconds: float  # from the database accepting connections again
    healthy_after_seconds: float
    tasks_run_again: int  # tasks whose outcome the outage kept from being recorded
    bills_total: str

    def summary(self) -> str:
        return "\n".join(
            [
                f"Database restart: down {self.outage_seconds:.1f} s, processes "
                f"{', '.join(self.processes)}, {self.exited} exited",
                f"  accepted {sum(self.accepted.values())} {self.accepted}, "
                f"documents {self.documents} (one each), bills total {self.bills_total}",
                f"  every record settled {self.settled_after_seconds:.1f} s after the database "
                f"was back, /health/ 200 after {self.healthy_after_seconds:.1f} s, "
                f"tasks run again {self.tasks_run_again}",
            ]
        )


@dataclass
class HangingERPFigures:
    hang_seconds: int
    seconds: dict[str, float]  # how long each step took while QuickBooks hung
    requests_while_people_waited: int
    flagged: str  # the duplicate warning read from the imported bills
    statuses: list[str]  # each record and its status once QuickBooks answered again
    documents_per_record: list[int]
    recovery_seconds: float


@dataclass
class LostBatchFigures:
    records: int
    stored_before_the_loss: int
    batch_requests: list[int]  # the items each batch request carried, in order
    dropped: int  # batch requests whose answer never arrived
    statuses: list[str]  # each record and its status at the end
    linked_by_look_up: int
    documents_per_record: list[int]
    requests: int  # company API requests from the accept on


@dataclass
class DesktopSoakFigures:
    seed: int
    seconds: float
    accepted: dict[str, int]
    synced: int
    faults_armed: dict[str, int]  # a fault placed past a run's last request never strikes
    runs_by_outcome: dict[str, int]  # the Web Connector's runs, by how each ended
    documents: int  # added to the company file during the soak
    bills_total: str

    def summary(self) -> str:
        return "\n".join(
            [
                f"QuickBooks Desktop soak seed {self.seed}: {self.seconds:.0f} s",
                f"  accepted {sum(self.accepted.values())} {self.accepted}, synced {self.synced}",
                f"  faults armed {self.faults_armed}",
                f"  Web Connector runs {sum(self.runs_by_outcome.values())} {self.runs_by_outcome}",
                f"  documents {self.documents} (one per record), bills total {self.bills_total}",
            ]
        )


@dataclass
class Results:
    cells: list[CellOutcome] = field(default_factory=list)
    desktop_cells: list[CellOutcome] = field(default_factory=list)  # QuickBooks Desktop's matrix
    people: list = field(default_factory=list)  # people.PeopleOutcome, one per scenario
    soaks: dict[str, SoakFigures] = field(default_factory=dict)  # by ERP
    outage: OutageFigures | None = None
    hanging: HangingERPFigures | None = None
    lost_batch: LostBatchFigures | None = None
    desktop_soak: DesktopSoakFigures | None = None
    machine: dict[str, str] = field(default_factory=dict)


RESULTS = Results()
