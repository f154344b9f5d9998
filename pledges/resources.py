"""Import/export of pledges, deliveries, training commitments and requirements, through the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields

from coordination.resources import AidResource, BulkCreateResource, fk_field, item_field, nation_field
from coordination.services import record_save
from pledges import services
from pledges.models import AidFlow, Delivery, Pledge, Requirement, TrainingCommitment


class PledgeResource(AidResource):
    donor = nation_field("donor")
    recipient = nation_field("recipient")
    item = item_field()
    delivered_quantity = fields.Field(attribute="delivered_quantity", column_name="delivered_quantity", readonly=True)
    shipped_quantity = fields.Field(attribute="shipped_quantity", column_name="shipped_quantity", readonly=True)

    class Meta(AidResource.Meta):
        model = Pledge
        fields = ("id", *services.PLEDGE_FIELDS, "shipped_quantity", "delivered_quantity")
        export_order = ("id", *services.PLEDGE_FIELDS)
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        values = {name: getattr(instance, name) for name in services.PLEDGE_FIELDS}
        if is_create:
            return services.pledge_create(actor=actor, user=actor, **values)
        return services.pledge_update(actor=actor, pledge_id=instance.pk, user=actor, **values)


class DeliveryResource(BulkCreateResource):
    """New deliveries are written at the end with one ``deliveries_bulk_create`` (pledges locked in pk
    order, the running total checked across the whole file); changes row by row with ``delivery_update``."""

    pledge = fk_field(Pledge, "pledge")

    class Meta(AidResource.Meta):
        model = Delivery
        fields = ("id", "pledge", *services.DELIVERY_FIELDS)
        import_id_fields = ("id",)

    def bulk_service_create(self, *, actor, instances):
        rows = [{"pledge_id": d.pledge_id, **{name: getattr(d, name) for name in services.DELIVERY_FIELDS}}
                for d in instances]
        return services.deliveries_bulk_create(actor=actor, rows=rows, user=actor)

    def service_save(self, *, instance, is_create, actor):
        values = {name: getattr(instance, name) for name in services.DELIVERY_FIELDS}
        original = Delivery.objects.filter(pk=instance.pk).values_list("pledge_id", flat=True).first()
        if original != instance.pledge_id:
            raise ValidationError({"pledge": ["A delivery cannot be moved to another pledge."]})
        return services.delivery_update(actor=actor, delivery_id=instance.pk, user=actor, **values)


class TrainingCommitmentResource(AidResource):
    donor = nation_field("donor")
    recipient = nation_field("recipient")

    class Meta(AidResource.Meta):
        model = TrainingCommitment
        fields = ("id", "donor", "recipient", "programme", "trainees_committed", "trainees_completed",
                  "start_on", "end_on", "status", "reference")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return services.training_commitment_save(actor=actor, commitment=instance, user=actor)


class RequirementResource(AidResource):
    recipient = nation_field("recipient")
    item = item_field()

    class Meta(AidResource.Meta):
        model = Requirement
        fields = ("id", "recipient", "item", "quantity", "period_from", "period_to", "priority", "notes")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        """No requirement service exists: ``record_save`` (as the API), owned by the recipient; among the
        nations only a recipient states requirements (``Requirement.access_q``, checked there)."""

        return record_save(actor=actor, obj=instance, user=actor, owner_field="recipient", what=Requirement.WRITE_WHAT)


class AidFlowResource(AidResource):
    """Monthly tracker aid per donor (public data): the cell writes, through ``record_save`` (base class)."""

    nation = nation_field("nation")

    class Meta(AidResource.Meta):
        model = AidFlow
        fields = ("nation", "month", "allocated_eur", "military_eur", "financial_eur", "humanitarian_eur",
                  "committed_eur", "to_be_allocated_eur", "source")
        import_id_fields = ("nation", "month")
