// Tables for a person (SPEC 7.2): each listing's columns in reading order, defined here
// once, and a table narrowed for a terminal: those columns, ids by their prefix,
// timestamps to the second, fitted to a width.
#include "cli/table.hpp"
#include "shared/text.hpp"
#include "shared/vocabulary.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace subctl::cli {

// The listings as a person reads them: per command, the columns a narrowed table shows,
// in that order (the others follow only when not narrowed, unless others_too), and the
// columns holding ids that the command line also accepts by a prefix.
struct Listing {
    std::string_view command;
    std::vector<std::string> columns;
    std::vector<std::string> by_prefix;
    bool others_too = false;  // a listing whose columns vary (reports): every column, these first
};

namespace {

const std::vector<Listing>& listings() {
    static const std::vector<Listing> all{
        {"customer list", {"id", "name", "domain"}, {}},
        {"user list", {"upn", "display_name", "licenses", "id"}, {"licenses"}},
        {"relationship list", {"customer_id", "service_id", "status", "expires_at", "activated_at"}, {}},
        {"subscription list",
         {"id", "offer_id", "quantity", "status", "billing_cycle", "channel", "customer_id"},
         {"id", "parent_subscription_id", "upgraded_to", "upgraded_from"}},
        {"upgrades", {"target_offer", "target_offer_name", "eligible", "errors"}, {}},
        {"audit",
         {"id", "occurred_at", "operator", "operation", "outcome", "error_codes", "subscription_id", "request_id"},
         {"subscription_id"}},
        {"batch list",
         {"id", "file", "rows", "applied", "rejected", "already_applied", "pending", "dry_run", "finished_at"},
         {"id"}},
        {"batch show",
         {"line", "status", "action", "subscription_id", "user", "into_subscription_id", "errors", "new_subscription_id",
          "request_id"},
         {"subscription_id", "into_subscription_id", "new_subscription_id"}},
        {"report list", {"name", "summary"}, {}, true},
        {"report show",
         {"customer_name", "subscription_id", "offer_id", "target_offer_id", "quantity", "status"},
         {"subscription_id", "target_subscription_id", "source_subscription_id"},
         true},
    };
    return all;
}

const Listing* find_listing(const std::string& command) {
    const auto found = std::find_if(listings().begin(), listings().end(), [&](const auto& l) { return l.command == command; });
    return found == listings().end() ? nullptr : &*found;
}

// The columns of a table, in reading order: the listing's first, then (when not narrowed)
// the others as the generic order puts them.
std::vector<std::string> table_columns(const nlohmann::json& rows, const TableLayout& layout) {
    auto columns = record_columns(rows);
    const auto* listing = find_listing(layout.listing);
    if (listing == nullptr) return columns;
    std::vector<std::string> ordered;
    for (const auto& name : listing->columns) {
        if (std::find(columns.begin(), columns.end(), name) != columns.end()) ordered.push_back(name);
    }
    if (layout.narrow && !listing->others_too) return ordered;
    for (const auto& name : columns) {
        if (std::find(ordered.begin(), ordered.end(), name) == ordered.end()) ordered.push_back(name);
    }
    return ordered;
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
}

// Whether a column's cells are ids a narrowed table shows by a prefix: a UUID or a sha256
// (a batch's default id); a batch name given with --name whole, as its prefix may be
// another's.
bool by_prefix(const std::string& column, const std::string& text, const Listing* listing) {
    const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    return listing != nullptr &&
           std::find(listing->by_prefix.begin(), listing->by_prefix.end(), column) != listing->by_prefix.end() &&
           (is_uuid(text) || (text.size() == 64 && std::all_of(text.begin(), text.end(), hex)));
}

// The prefix length of each id of the rows shown by a prefix: the shortest the command
// line accepts, longer where two ids shown together start alike (one more character than
// they share, a hyphen never last), so that no two show the same.
std::map<std::string, std::size_t> prefix_lengths(const nlohmann::json& rows, const std::vector<std::string>& columns,
                                                  const Listing* listing) {
    std::map<std::string, std::size_t> lengths;
    for (const auto& row : rows) {
        for (const auto& column : columns) {
            const auto text = cell(row.value(column, nlohmann::json()));
            if (by_prefix(column, text, listing)) lengths.emplace(text, static_cast<std::size_t>(sql::id_prefix_min_length));
        }
    }
    const auto shared = [](const std::string& a, const std::string& b) {
        std::size_t n = 0;
        while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
        return n;
    };
    // in sorted order, an id shares most with its neighbours
    for (auto at = lengths.begin(); at != lengths.end(); ++at) {
        const auto& id = at->first;
        std::size_t length = at->second;
        if (at != lengths.begin()) length = std::max(length, shared(std::prev(at)->first, id) + 1);
        if (std::next(at) != lengths.end()) length = std::max(length, shared(std::next(at)->first, id) + 1);
        if (length < id.size() && id[length - 1] == '-') ++length;
        at->second = std::min(length, id.size());
    }
    return lengths;
}

// A cell as a narrowed table shows it: an id by its prefix, a timestamp to the second.
std::string narrowed(const std::string& column, const std::string& text, const Table& table) {
    if (by_prefix(column, text, table.listing)) {
        const auto known = table.prefix_lengths.find(text);  // a later page's id: the shortest
        return text.substr(0, known == table.prefix_lengths.end() ? static_cast<std::size_t>(sql::id_prefix_min_length)
                                                                  : known->second);
    }
    return to_the_second(text);
}

// The text cut to width columns, its end replaced by an ellipsis when cut.
std::string shortened(const std::string& text, std::size_t width) {
    if (width == 0 || display_width(text) <= width) return text;
    return std::string(display_prefix(text, width - 1)) + "…";  // characters whole, then the ellipsis
}

std::vector<std::string> row_cells(const Table& table, const nlohmann::json& row) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        auto text = cell(row.value(table.columns[i], nlohmann::json()));
        if (table.narrow) text = narrowed(table.columns[i], text, table);
        cells.push_back(table.cut ? shortened(text, table.widths[i]) : text);
    }
    return cells;
}

// Fits the table to width: the widest column that may be shortened loses a column at a
// time (not one of whole UUIDs or of id prefixes, which shortened would name nothing, nor
// of lists such as error codes, which would lose their last); when none may, the last
// column (the least read) is dropped.
void fit(Table& table, std::size_t width, std::vector<bool> whole) {
    constexpr std::size_t narrowest = 6;
    const auto total = [&table] {
        std::size_t sum = 0;
        for (const auto w : table.widths) sum += w + 2;
        return sum - 2;
    };
    while (!table.widths.empty() && total() > width) {
        std::size_t widest = table.widths.size();
        for (std::size_t i = 0; i < table.widths.size(); ++i) {
            if (!whole[i] && table.widths[i] > narrowest &&
                (widest == table.widths.size() || table.widths[i] > table.widths[widest])) {
                widest = i;
            }
        }
        if (widest < table.widths.size()) {
            --table.widths[widest];
        } else if (table.widths.size() > 1) {
            table.columns.pop_back();
            table.widths.pop_back();
            whole.pop_back();
        } else {
            break;
        }
    }
    table.cut = true;
}

// One table line: the cells padded to the widths, no trailing blanks.
void print_table_line(std::ostream& out, const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        text += cells[i];
        if (i + 1 < cells.size()) text += std::string(widths[i] + 2 - std::min(widths[i] + 2, display_width(cells[i])), ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
}

}  // namespace

Table table_for(const nlohmann::json& rows, const TableLayout& layout) {
    Table table;
    table.columns = table_columns(rows, layout);
    table.listing = find_listing(layout.listing);
    table.narrow = layout.narrow;
    if (table.narrow) table.prefix_lengths = prefix_lengths(rows, table.columns, table.listing);
    std::vector<bool> whole;
    for (const auto& column : table.columns) {
        table.widths.push_back(display_width(column));
        whole.push_back(true);
    }
    for (const auto& row : rows) {
        const auto cells = row_cells(table, row);
        for (std::size_t i = 0; i < cells.size(); ++i) {
            table.widths[i] = std::max(table.widths[i], display_width(cells[i]));
            const auto& value = row.value(table.columns[i], nlohmann::json());
            // narrowed already (an id to its prefix, a time to the second): shorter names nothing
            const bool narrowed_already = cells[i] != cell(value);
            whole[i] = whole[i] && (cells[i].empty() || is_uuid(cells[i]) || value.is_array() || narrowed_already);
        }
    }
    if (layout.width > 0) fit(table, layout.width, whole);
    return table;
}

void print_table_header(std::ostream& out, const Table& table) {
    std::vector<std::string> header;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        header.push_back(table.cut ? shortened(table.columns[i], table.widths[i]) : table.columns[i]);
    }
    print_table_line(out, header, table.widths);
}

void print_table_rows(std::ostream& out, const nlohmann::json& rows, const Table& table) {
    for (const auto& row : rows) print_table_line(out, row_cells(table, row), table.widths);
}

}  // namespace subctl::cli
