from rest_framework import serializers

from botbeat.cache import FEED_KEY, company_key, tag_answer
from botbeat.fields import OptionalURLField
from companies.models import Company


class CompanySerializer(serializers.ModelSerializer):
    website_url = OptionalURLField()
    logo_url = OptionalURLField()
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles.")
    latest_published_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When its latest published article came out."
    )

    class Meta:
        model = Company
        fields = [
            "slug",
            "name",
            "description",
            "website_url",
            "logo_url",
            "article_count",
            "latest_published_at",
        ]
        read_only_fields = fields

    def to_representation(self, company) -> dict:
        # Its counts change with every publication: the FEED_KEY's lists.
        tag_answer(company_key(company.pk), FEED_KEY)
        return super().to_representation(company)
