"""OFREP wire shapes (OpenFeature Remote Evaluation Protocol), for the OpenAPI document.

The endpoints encode answers directly; these models describe them. OFREP is camelCase already.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EvaluationContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    targetingKey: str = Field(description="The tenant id.")


class EvaluationRequest(BaseModel):
    context: EvaluationContext


class EvaluationSuccess(BaseModel):
    key: str
    value: bool | int
    reason: str = Field(examples=["TARGETING_MATCH", "DEFAULT"])
    variant: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class EvaluationFailure(BaseModel):
    key: str
    errorCode: str = Field(examples=["FLAG_NOT_FOUND", "TARGETING_KEY_MISSING", "INVALID_CONTEXT"])
    errorDetails: str


class BulkEvaluationSuccess(BaseModel):
    flags: list[EvaluationSuccess]


class BulkEvaluationFailure(BaseModel):
    errorCode: str
    errorDetails: str
