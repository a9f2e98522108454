"""What a website form posts to the public intake endpoint, and the answer it gets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

NO_NUL = r"^[^\x00]*$"  # PostgreSQL stores no NUL character


class IntakeSubmission(BaseModel):
    """What a website form posts (JSON or urlencoded). Unknown fields are ignored; numbers are
    read as text; what does not parse (a budget of "about 50万") is dropped, not refused."""

    # other fields: text or numbers, at most 5000 characters (api/v1/intake.py checks them)
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, json_schema_extra={
        "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 5000,
                                            "pattern": NO_NUL},
                                           {"type": "number"}, {"type": "null"}]}})

    name: str | None = Field(None, max_length=100, pattern=NO_NUL)
    company: str | None = Field(None, max_length=200, pattern=NO_NUL)
    title: str | None = Field(None, max_length=100, pattern=NO_NUL)
    phone: str | None = Field(None, max_length=40, pattern=NO_NUL)
    email: str | None = Field(None, max_length=254, pattern=NO_NUL)
    message: str | None = Field(None, max_length=5000, pattern=NO_NUL)
    industry: str | None = Field(None, max_length=50, pattern=NO_NUL)
    region: str | None = Field(None, max_length=50, pattern=NO_NUL)
    company_size: str | None = Field(None, max_length=20, pattern=NO_NUL)
    budget: str | None = Field(None, max_length=30, pattern=NO_NUL)
    utm_source: str | None = Field(None, max_length=200, pattern=NO_NUL)
    utm_medium: str | None = Field(None, max_length=200, pattern=NO_NUL)
    utm_campaign: str | None = Field(None, max_length=200, pattern=NO_NUL)
    utm_term: str | None = Field(None, max_length=200, pattern=NO_NUL)
    utm_content: str | None = Field(None, max_length=200, pattern=NO_NUL)
    page_url: str | None = Field(None, max_length=500, pattern=NO_NUL)
    referrer: str | None = Field(None, max_length=500, pattern=NO_NUL)


class IntakeReceived(BaseModel):
    status: str = Field("received", examples=["received"])
