from rest_framework import serializers

from articles.serializers import OptionalURLField
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
