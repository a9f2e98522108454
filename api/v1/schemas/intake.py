"""What a website form posts to the public intake endpoint, and the answer it gets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IntakeSubmission(BaseModel):
    """What a website form posts (JSON or urlencoded). Unknown fields are ignored; numbers are
    read as text; what does not parse (a budget of "about 50万") is dropped, not refused."""

    # other fields: text or numbers, at most 5000 characters (api/v1/intake.py checks them)
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, json_schema_extra={
        "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 5000},
                                           {"type": "number"}, {"type": "null"}]}})

    name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    message: str | None = Field(None, max_length=5000)
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    company_size: str | None = Field(None, max_length=20)
    budget: str | None = Field(None, max_length=30)
    utm_source: str | None = Field(None, max_length=200)
    utm_medium: str | None = Field(None, max_length=200)
    utm_campaign: str | None = Field(None, max_length=200)
    utm_term: str | None = Field(None, max_length=200)
    utm_content: str | None = Field(None, max_length=200)
    page_url: str | None = Field(None, max_length=500)
    referrer: str | None = Field(None, max_length=500)


class IntakeReceived(BaseModel):
    status: str = Field("received", examples=["received"])
