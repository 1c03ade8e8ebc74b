'use strict';
// AutocompleteFilter (botbeat/admin.py): choosing in the search box opens the list filtered by
// that row, the other filters kept; clearing it removes the filter.
{
    const $ = django.jQuery;
    $(function() {
        $('select.newsroom-filter-autocomplete').on('change', function() {
            const url = new URL(this.dataset.baseQuery, window.location.href);
            if (this.value) {
                url.searchParams.set(this.dataset.parameter, this.value);
            }
            window.location.href = url.href;
        });
    });
}
