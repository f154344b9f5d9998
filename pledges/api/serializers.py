"""Pledge serializers. Input serializers only type-check; pledges.services validates and writes."""

from __future__ import annotations

from rest_framework import serializers

from coordination.api.serializers import BIGINT_MAX, OWN_NATION_HELP, ItemRefField, NationCodeField
from pledges.models import Delivery, Pledge, Releasability, Requirement, TrainingCommitment

INT_MAX = 2**31 - 1


class PledgeSerializer(serializers.ModelSerializer):
    donor = serializers.CharField(source="donor.code", read_only=True)
    recipient = serializers.CharField(source="recipient.code", read_only=True)
    progress = serializers.ChoiceField(choices=Pledge.Progress.choices, read_only=True,
                                       help_text="Derived from the deliveries.")
    remaining_quantity = serializers.IntegerField(read_only=True,
                                                  help_text="What can still be scheduled against this pledge.")

    class Meta:
        model = Pledge
        fields = ["id", "donor", "recipient", "item", "quantity", "value_eur", "announced_on", "due_on", "source",
                  "status", "releasability", "reference", "notes", "allocated_quantity", "shipped_quantity",
                  "delivered_quantity", "remaining_quantity", "progress", "created_at", "updated_at"]
        read_only_fields = fields


class PledgeUpdateSerializer(serializers.Serializer):
    # Range checks here give field-level messages (the model's check constraints report as non-field errors).
    recipient = NationCodeField()
    item = ItemRefField()
    quantity = serializers.IntegerField(max_value=BIGINT_MAX, min_value=0)
    value_eur = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False,
                                         allow_null=True)
    announced_on = serializers.DateField()
    due_on = serializers.DateField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=Pledge.Source.choices, required=False)
    status = serializers.ChoiceField(choices=Pledge.Status.choices, required=False)
    releasability = serializers.ChoiceField(choices=Releasability.choices, required=False)
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class PledgeInSerializer(PledgeUpdateSerializer):
    """A new pledge. The donor is your token's nation; only the cell names it."""

    donor = NationCodeField(required=False, help_text="Cell only: the donor's code. " + OWN_NATION_HELP)


class DeliverySerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="pledge.item_id", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "pledge", "item", "quantity", "status", "shipped_on", "delivered_on", "reference",
                  "created_at", "updated_at"]
        read_only_fields = fields


class DeliveryUpdateSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(max_value=BIGINT_MAX, min_value=1)
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
    shipped_on = serializers.DateField(required=False, allow_null=True)
    delivered_on = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DeliveryInSerializer(DeliveryUpdateSerializer):
    """A delivery against one of your nation's pledges."""

    pledge = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="The pledge id.")


class DeliveryBulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DeliverySerializer(many=True)


class TrainingCommitmentSerializer(serializers.ModelSerializer):
    donor = serializers.CharField(source="donor.code", read_only=True)
    recipient = serializers.CharField(source="recipient.code", read_only=True)

    class Meta:
        model = TrainingCommitment
        fields = ["id", "donor", "recipient", "programme", "trainees_committed", "trainees_completed", "start_on",
                  "end_on", "status", "reference", "updated_at"]
        read_only_fields = fields


class TrainingCommitmentUpdateSerializer(serializers.Serializer):
    recipient = NationCodeField()
    programme = serializers.CharField(max_length=200)
    trainees_committed = serializers.IntegerField(max_value=INT_MAX, min_value=0)
    trainees_completed = serializers.IntegerField(max_value=INT_MAX, min_value=0, required=False)
    start_on = serializers.DateField(required=False, allow_null=True)
    end_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=TrainingCommitment.Status.choices, required=False)
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True)


class TrainingCommitmentInSerializer(TrainingCommitmentUpdateSerializer):
    donor = NationCodeField(required=False, help_text="Cell only: the training nation. " + OWN_NATION_HELP)


class RequirementSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.code", read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "recipient", "item", "quantity", "period_from", "period_to", "priority", "notes"]
        read_only_fields = fields


class RequirementWriteSerializer(serializers.ModelSerializer):
    recipient = NationCodeField(
        required=False, help_text="Cell only: the recipient nation. Taken from the token for the recipient's clients.")
    item = ItemRefField()

    class Meta:
        model = Requirement
        fields = ["recipient", "item", "quantity", "period_from", "period_to", "priority", "notes"]
        extra_kwargs = {"quantity": {"min_value": 0}}
        validators: list = []
